// BackendTest: a test parameterized on the database backend, with a fresh
// database per test; skipped (and reported so) when the backend is not
// available. LEADBOARD_INSTANTIATE_BACKENDS(Suite) runs Suite on both.
#ifndef LEADBOARD_TESTS_SUPPORT_BACKEND_TEST_H_
#define LEADBOARD_TESTS_SUPPORT_BACKEND_TEST_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "test_database.h"

namespace leadboard::testing {

class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string skip;
    db_ = TestDatabase::Create(GetParam(), &skip);
    if (db_ == nullptr) GTEST_SKIP() << skip;
  }

  std::unique_ptr<TestDatabase> db_;
};

}  // namespace leadboard::testing

#define LEADBOARD_INSTANTIATE_BACKENDS(suite)                                                  \
  INSTANTIATE_TEST_SUITE_P(                                                                    \
      Backends, suite,                                                                         \
      ::testing::Values(::leadboard::testing::Backend::kSqlite,                                \
                        ::leadboard::testing::Backend::kPostgres),                             \
      [](const auto& info) { return ::leadboard::testing::BackendName(info.param); })

#endif  // LEADBOARD_TESTS_SUPPORT_BACKEND_TEST_H_
