#include "store/soci/batch_rows.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/stage_history.h"
#include "store/soci/change_wire.h"

namespace leadboard::store {

using google::protobuf::Message;
using google::protobuf::Timestamp;

long long Micros(const Timestamp& t) {
  return static_cast<long long>(t.seconds()) * 1000000 + t.nanos() / 1000;
}

std::string Encode(const Message& message) {
  return absl::Base64Escape(message.SerializeAsString());
}

absl::Status Decode(const std::string& text, Message* message, absl::string_view what,
                    std::string* bytes) {
  std::string local;
  std::string& raw = bytes != nullptr ? *bytes : local;
  if (!absl::Base64Unescape(text, &raw) || !message->ParseFromString(raw)) {
    return absl::InternalError(absl::StrCat("store: corrupt ", what, " row"));
  }
  return absl::OkStatus();
}

Rows::Visit VisitRow(const v1::Lead& lead) {
  v1::StageVisit visit = engine::VisitOf(lead);
  return Rows::Visit{lead.id(),
                     visit.revision(),
                     visit.stage(),
                     Micros(visit.entered_at()),
                     static_cast<int>(visit.entered_by().kind()),
                     visit.entered_by().name(),
                     visit.note()};
}

Rows GatherRows(LeadSlots& leads, const JobSlots& jobs, const std::vector<Change>& changes,
                std::vector<Rows::Visit> visits) {
  Rows rows;
  rows.visits = std::move(visits);
  for (auto& [id, slot] : leads) {
    if (!slot.touched) continue;
    rows.leads.push_back(Rows::Lead{&id, &*slot.lead, slot.lead->revision(),
                                    absl::Base64Escape(SerializeCard(&*slot.lead))});
    if (slot.enrichment_dirty) rows.enrichments.emplace_back(Encode(slot.lead->enrichment()), &id);
  }
  for (const auto& [id, slot] : jobs) {
    if (slot.dirty) {
      rows.jobs.push_back(
          Rows::Job{&id, &*slot.job, Micros(slot.job->started_at()), Encode(*slot.job)});
    }
  }
  for (const Change& change : changes) {
    rows.change_revisions.push_back(change.revision);
    rows.change_payloads.push_back(absl::Base64Escape(*change.wire));
  }
  return rows;
}

}  // namespace leadboard::store
