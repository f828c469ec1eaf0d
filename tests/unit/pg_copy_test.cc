// CopyRows: rows in PostgreSQL's binary COPY format, byte for byte (the
// integration tests show a real server takes them; these pin the format).
#include "store/soci/pg_copy.h"

#include <gtest/gtest.h>

#include <string>

namespace leadboard::store {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(CopyRowsTest, EachFieldIsItsLengthThenItsBytesBigEndian) {
  CopyRows rows;
  rows.Add("ab").Add(int64_t{258}).AddInt32(-2).AddBytes(std::string("\0\xff", 2)).AddNull();
  rows.EndRow();
  const std::string expected =
      Bytes({0, 5}) +                                    // five fields
      Bytes({0, 0, 0, 2}) + "ab" +                       // text
      Bytes({0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 1, 2}) +      // bigint 258
      Bytes({0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe}) +      // integer -2
      Bytes({0, 0, 0, 2, 0, 0xff}) +                     // bytea, a NUL byte and all
      Bytes({0xff, 0xff, 0xff, 0xff});                   // NULL: a length of -1
  EXPECT_EQ(rows.data(), expected);
  EXPECT_EQ(rows.rows(), 1u);
}

TEST(CopyRowsTest, TextIsSentAsIsWithNothingEscaped) {
  CopyRows rows;
  rows.Add("a\tb\\n\n").EndRow();
  EXPECT_EQ(rows.data(), Bytes({0, 1, 0, 0, 0, 6}) + "a\tb\\n\n");
}

TEST(CopyRowsTest, EveryRowCountsItsOwnFields) {
  CopyRows rows;
  rows.Add("x").EndRow();
  rows.Add("y").Add("z").EndRow();
  EXPECT_EQ(rows.rows(), 2u);
  EXPECT_EQ(rows.data(), Bytes({0, 1, 0, 0, 0, 1}) + "x" + Bytes({0, 2, 0, 0, 0, 1}) + "y" +
                             Bytes({0, 0, 0, 1}) + "z");
}

}  // namespace
}  // namespace leadboard::store
