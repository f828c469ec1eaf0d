#include "store/soci/change_wire.h"

#include <memory>
#include <optional>

namespace leadboard::store {
namespace {

// Detaches a lead's package for the life of the scope.
class WithoutPackage {
 public:
  explicit WithoutPackage(v1::Lead* lead) : lead_(lead) {
    if (lead_->has_enrichment()) package_.reset(lead_->release_enrichment());
  }
  ~WithoutPackage() {
    if (package_ != nullptr) lead_->set_allocated_enrichment(package_.release());
  }
  WithoutPackage(const WithoutPackage&) = delete;
  WithoutPackage& operator=(const WithoutPackage&) = delete;

 private:
  v1::Lead* const lead_;
  std::unique_ptr<v1::EnrichmentPackage> package_;
};

// Detaches what a watch card leaves out of the profile (description,
// extra) for the life of the scope.
class WithoutProfileDetail {
 public:
  explicit WithoutProfileDetail(v1::Lead* lead) : lead_(lead) {
    if (!lead_->has_profile()) return;
    v1::LeadProfile* profile = lead_->mutable_profile();
    description_.swap(*profile->mutable_description());
    profile->clear_description();
    if (profile->has_extra()) extra_.reset(profile->release_extra());
  }
  ~WithoutProfileDetail() {
    if (!lead_->has_profile()) return;
    v1::LeadProfile* profile = lead_->mutable_profile();
    profile->mutable_description()->swap(description_);
    if (extra_ != nullptr) profile->set_allocated_extra(extra_.release());
  }
  WithoutProfileDetail(const WithoutProfileDetail&) = delete;
  WithoutProfileDetail& operator=(const WithoutProfileDetail&) = delete;

 private:
  v1::Lead* const lead_;
  std::string description_;
  std::unique_ptr<google::protobuf::Struct> extra_;
};

}  // namespace

std::string SerializeCard(v1::Lead* lead) {
  WithoutPackage card(lead);
  return lead->SerializeAsString();
}

std::string SerializeChange(int64_t revision, v1::ChangeKind kind,
                            const std::string& previous_stage, const std::string& agent,
                            v1::Lead* lead, bool with_package, const v1::Actor* actor,
                            const std::string& note) {
  v1::WatchLeadsResponse message;
  message.set_revision(revision);
  v1::LeadChange* change = message.mutable_lead_change();
  change->set_kind(kind);
  change->set_previous_stage(previous_stage);
  change->set_agent(agent);
  if (actor != nullptr) *change->mutable_actor() = *actor;
  change->set_note(note);
  std::optional<WithoutPackage> card;
  std::optional<WithoutProfileDetail> brief;
  if (!with_package) {
    card.emplace(lead);
    brief.emplace(lead);
  }
  // Borrowed: neither message is on an arena, so the pointer is simply
  // lent and taken back.
  change->unsafe_arena_set_allocated_lead(lead);
  std::string wire = message.SerializeAsString();
  change->unsafe_arena_release_lead();
  return wire;
}

}  // namespace leadboard::store
