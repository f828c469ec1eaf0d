// The bytes the raw methods build by hand must be what protobuf would
// build: a watch batch is assembled from pre-serialized messages.
#include "api/raw_message.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "leadboard/v1/leadboard.pb.h"

namespace leadboard::api {
namespace {

v1::WatchLeadsResponse Change(int64_t revision, const std::string& lead_id, size_t activity) {
  v1::WatchLeadsResponse message;
  message.set_revision(revision);
  message.mutable_lead_change()->set_kind(v1::CHANGE_KIND_STAGE_CHANGED);
  v1::Lead* lead = message.mutable_lead_change()->mutable_lead();
  lead->set_id(lead_id);
  lead->set_revision(revision);
  lead->set_activity(std::string(activity, 'a'));  // lengths past one varint byte
  return message;
}

TEST(BatchWireTest, IsTheBatchProtobufWouldSerialize) {
  std::vector<v1::WatchLeadsResponse> messages = {Change(7, "a", 10), Change(300, "b", 200),
                                                  Change(70000, "c", 20000)};
  v1::WatchLeadsResponse progress;
  progress.set_revision(70001);
  progress.mutable_progress();
  messages.push_back(progress);
  std::vector<std::string> wires;
  for (const auto& message : messages) wires.push_back(message.SerializeAsString());
  std::vector<const std::string*> pointers;
  for (const auto& wire : wires) pointers.push_back(&wire);

  v1::WatchLeadsResponse expected;
  expected.set_revision(70001);
  for (const auto& message : messages) *expected.mutable_batch()->add_messages() = message;
  const std::string built = BatchWire(70001, pointers);
  EXPECT_EQ(built, expected.SerializeAsString());

  v1::WatchLeadsResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(built));
  ASSERT_EQ(parsed.batch().messages_size(), 4);
  EXPECT_EQ(parsed.batch().messages(2).lead_change().lead().activity().size(), 20000u);
}

TEST(BatchWireTest, ARevisionOfZeroIsLeftOutLikeProtobufDoes) {
  v1::WatchLeadsResponse page;
  page.mutable_snapshot_page()->add_leads()->set_id("a");
  const std::string wire = page.SerializeAsString();
  v1::WatchLeadsResponse expected;
  *expected.mutable_batch()->add_messages() = page;
  EXPECT_EQ(BatchWire(0, {&wire}), expected.SerializeAsString());
}

}  // namespace
}  // namespace leadboard::api
