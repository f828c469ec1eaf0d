#include "store/soci/change_wire.h"

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace leadboard::store {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::Lead EnrichedLead() {
  v1::Lead lead;
  lead.set_id("L1");
  lead.set_stage("enriched");
  lead.mutable_profile()->set_company_name("DataSync Pro");
  lead.mutable_enrichment()->add_strategic_questions("Como vocês qualificam leads hoje?");
  lead.set_enrichment_stored(true);
  return lead;
}

TEST(ChangeWireTest, ACardLeavesThePackageOutAndTheLeadAsItWas) {
  v1::Lead lead = EnrichedLead();
  const v1::Lead before = lead;
  v1::Lead card;
  ASSERT_TRUE(card.ParseFromString(SerializeCard(&lead)));
  EXPECT_FALSE(card.has_enrichment());
  EXPECT_TRUE(card.enrichment_stored());
  EXPECT_EQ(card.profile().company_name(), "DataSync Pro");
  EXPECT_TRUE(MessageDifferencer::Equals(lead, before));
}

TEST(ChangeWireTest, AChangeCarriesThePackageOnlyWhenAsked) {
  v1::Lead lead = EnrichedLead();
  const v1::Lead before = lead;
  v1::WatchLeadsResponse card_change, full_change;
  ASSERT_TRUE(card_change.ParseFromString(
      SerializeChange(7, v1::CHANGE_KIND_UPDATED, "strategy", "ToTAgent", &lead, false)));
  ASSERT_TRUE(full_change.ParseFromString(
      SerializeChange(8, v1::CHANGE_KIND_ENRICHED, "outreach", "", &lead, true)));
  EXPECT_EQ(card_change.revision(), 7);
  EXPECT_EQ(card_change.lead_change().kind(), v1::CHANGE_KIND_UPDATED);
  EXPECT_EQ(card_change.lead_change().previous_stage(), "strategy");
  EXPECT_EQ(card_change.lead_change().agent(), "ToTAgent");
  EXPECT_FALSE(card_change.lead_change().lead().has_enrichment());
  EXPECT_EQ(card_change.lead_change().lead().id(), "L1");
  EXPECT_TRUE(MessageDifferencer::Equals(full_change.lead_change().lead(), before));
  EXPECT_TRUE(MessageDifferencer::Equals(lead, before));  // lent, not taken
}

}  // namespace
}  // namespace leadboard::store
