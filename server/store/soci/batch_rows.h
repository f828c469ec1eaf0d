// What a batch commit works on and writes, shared by the per-event logic
// (soci_lead_repository.cc) and the backends' batch writers: the slots of
// the leads and jobs a batch touches, the rows it writes, and the payload
// codec (protobuf as base64 text, so one schema serves both databases).
#ifndef LEADBOARD_SERVER_STORE_SOCI_BATCH_ROWS_H_
#define LEADBOARD_SERVER_STORE_SOCI_BATCH_ROWS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "store/lead_repository.h"

namespace leadboard::store {

long long Micros(const google::protobuf::Timestamp& t);

// A stored payload: the message's bytes, base64.
std::string Encode(const google::protobuf::Message& message);

// Parses a stored payload; the decoded bytes are left in `bytes` if given.
// Internal (naming `what`) for a corrupt row.
absl::Status Decode(const std::string& text, google::protobuf::Message* message,
                    absl::string_view what, std::string* bytes = nullptr);

// A batch's view of a lead: its state (none: new), whether the batch
// changed it, and whether its enrichment package is loaded or must be written.
struct LeadSlot {
  std::optional<v1::Lead> lead;
  bool touched = false;
  bool enrichment_loaded = false;
  bool enrichment_dirty = false;
};
using LeadSlots = absl::flat_hash_map<std::string, LeadSlot>;
struct JobSlot {
  std::optional<v1::Job> job;
  bool dirty = false;
};
using JobSlots = absl::flat_hash_map<std::string, JobSlot>;

// What a batch writes besides its events, encoded as stored.
struct Rows {
  struct Lead {
    const std::string* id;
    const v1::Lead* lead;
    long long revision;
    std::string state;
  };
  struct Job {
    const std::string* id;
    const v1::Job* job;
    long long started_at;
    std::string state;
  };
  std::vector<Lead> leads;
  std::vector<Job> jobs;
  std::vector<std::pair<std::string, const std::string*>> enrichments;  // (package, lead id)
  std::vector<long long> change_revisions;
  std::vector<std::string> change_payloads;
  // Stage history: one row per change that put a lead in a new column.
  struct Visit {
    std::string lead_id;
    long long revision;
    std::string stage;
    long long entered_at;
    int actor_kind;
    std::string actor;
    std::string note;
  };
  std::vector<Visit> visits;
};

// The visit (stage history row) a lead's current stage starts.
Rows::Visit VisitRow(const v1::Lead& lead);

// Encodes the touched leads and jobs and the changes (each change's row is
// its `wire`, the bytes every watcher gets). Takes the batch's visits.
Rows GatherRows(LeadSlots& leads, const JobSlots& jobs, const std::vector<Change>& changes,
                std::vector<Rows::Visit> visits);

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SOCI_BATCH_ROWS_H_
