// What a batch commit works on and writes, shared by the per-event logic
// (soci_lead_repository.cc) and the backends' batch writers: the slots of
// the leads and jobs a batch touches, the rows it writes, and the payload
// codec (protobuf bytes, stored as they are: SQLite keeps any bytes bound
// to a column, PostgreSQL's columns are bytea).
#ifndef LEADBOARD_SERVER_STORE_SOCI_BATCH_ROWS_H_
#define LEADBOARD_SERVER_STORE_SOCI_BATCH_ROWS_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "engine/timeline_log.pb.h"
#include "store/lead_repository.h"
#include "store/soci/step_rows.h"

namespace leadboard::store {

long long Micros(const google::protobuf::Timestamp& t);

// A stored payload: the message's bytes.
std::string Encode(const google::protobuf::Message& message);

// Internal: a stored row (naming `what`) that cannot be read.
absl::Status CorruptRow(absl::string_view what);

// Parses a stored payload as a column read returns it: the bytes
// themselves (SQLite), or bytea's text form, "\x" and hex (PostgreSQL).
// The two cannot be confused: no message's bytes start with '\' (0x5C
// would be an end-group tag, which cannot open a message). The bytes are
// left in `bytes` if given. Internal (naming `what`) for a corrupt row.
absl::Status Decode(absl::string_view stored, google::protobuf::Message* message,
                    absl::string_view what, std::string* bytes = nullptr);

// A job and a column of the pipeline's: a key of job_stage_counts, where
// each job's leads are counted by the column the pipeline has them in.
using JobStage = std::pair<std::string, std::string>;

// A batch's view of a lead: its state (none: new), whether the batch
// changed it, and whether its enrichment package is loaded or must be written.
struct LeadSlot {
  std::optional<v1::Lead> lead;
  // Where the stored lead is counted (LoadStoredLead); none: a new lead.
  std::optional<JobStage> counted_in;
  bool touched = false;
  bool enrichment_loaded = false;
  bool enrichment_dirty = false;
  long long last_event_at = 0;  // when an event of the lead last arrived (micros)
  // The agent timeline: its log and its step rows as stored (once loaded;
  // none for a lead without a row), and the hour of its latest event
  // before the batch touched it (set then).
  bool timeline_loaded = false;
  bool timeline_dirty = false;
  engine::stored::TimelineLog timeline;
  std::vector<StepRow> stored_steps;
  std::optional<long long> hour_before;
  bool job_changed = false;  // a stored lead the batch ran in a new job
};
using LeadSlots = absl::flat_hash_map<std::string, LeadSlot>;

// Decodes a stored lead's `state` into `slot`, noting where it is counted.
// Every read of a stored lead a batch may write goes through here: a slot
// without counted_in is counted as a new lead.
absl::Status LoadStoredLead(absl::string_view state, LeadSlot* slot);
struct JobSlot {
  std::optional<v1::Job> job;
  bool dirty = false;
  long long last_event_at = 0;
  long long stored_started_at = -1;  // as stored (LoadStoredJob); -1: a new job
};
using JobSlots = absl::flat_hash_map<std::string, JobSlot>;

// Decodes a stored job's `state` into `slot`, noting when it started.
absl::Status LoadStoredJob(absl::string_view state, JobSlot* slot);

// What a batch writes besides its events, encoded as stored.
struct Rows {
  struct Lead {
    const std::string* id;
    const v1::Lead* lead;
    long long revision;
    std::string state;
    long long last_event_at;
    long long stall_at;       // when to flag it stalled; 0: never (not mid-run, or stalled)
    long long stalled_since;  // 0: not stalled
    // The enrichment package, encoded, when the batch changed it (else
    // the row keeps its own): written with the row, not as a second
    // version of it.
    std::optional<std::string> enrichment;
    bool job_changed;  // a stored row's job_id to rewrite
  };
  struct Job {
    const std::string* id;
    const v1::Job* job;
    long long started_at;
    std::string state;
    long long last_event_at;
    long long stall_at;
    bool new_start;  // started_at to rewrite (a stored job an earlier event reached)
  };
  std::vector<Lead> leads;
  std::vector<Job> jobs;
  std::vector<long long> change_revisions;  // the changes' rows hold their `wire`
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
  // Agent timelines the batch changed: the log, the steps it makes, and
  // the hour of its latest event (what a time window's lookup reads).
  struct Timeline {
    const std::string* id;
    std::string log;
    std::string steps;
    long long last_at;
    bool new_hour;  // last_at differs from the stored row's (or there is none)
  };
  std::vector<Timeline> timelines;
  StepTotals step_totals;  // what the batch adds to agent_step_totals
  // What the batch adds to job_stage_counts (never 0): a new lead counts
  // in its job and column, a lead that moves leaves its old one.
  std::map<JobStage, long long> stage_counts;
};

// The hour of a timeline's latest event (0: none): its row's last_at.
long long LastAt(const engine::stored::TimelineLog& log);

// The visit (stage history row) a lead's current stage starts.
Rows::Visit VisitRow(const v1::Lead& lead);

// Encodes the touched leads and jobs (the changes' rows are their `wire`,
// the bytes every watcher gets), with each one's stall deadline
// from `board`'s limits; diffs the changed timelines' step rows. Takes the
// batch's visits.
Rows GatherRows(LeadSlots& leads, const JobSlots& jobs, const std::vector<Change>& changes,
                std::vector<Rows::Visit> visits, const engine::BoardConfig& board);

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SOCI_BATCH_ROWS_H_
