// Agent steps as the store keeps them for statistics: each lead's steps in
// one StepSummary beside its timeline log, running totals per (agent,
// status, duration bucket) for the unfiltered question, and the duration
// histogram that keeps percentiles cheap over millions of steps.
#ifndef LEADBOARD_SERVER_STORE_SOCI_STEP_ROWS_H_
#define LEADBOARD_SERVER_STORE_SOCI_STEP_ROWS_H_

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"

#include "engine/board_config.h"
#include "engine/timeline_log.pb.h"
#include "leadboard/v1/lead.pb.h"
#include "leadboard/v1/leadboard.pb.h"

namespace leadboard::store {

struct StepRow {
  long long run_key = 0;  // the run's start (micros), 0 if unknown
  std::string agent;      // normalized
  int attempt = 1;
  std::string job_id;
  long long started_at = 0;   // the step's start, else its end, else its run's
  int status = 0;             // v1::StepStatus
  long long duration_us = -1; // -1: not ended, or no start to measure from
  int bucket = -1;            // DurationBucket(duration_us); -1 with it

  auto Key() const { return std::tie(run_key, agent, attempt); }
  bool operator==(const StepRow& o) const {
    return Key() == o.Key() && job_id == o.job_id && started_at == o.started_at &&
           status == o.status && duration_us == o.duration_us;
  }
};

// The step rows of a lead's timeline (engine::BuildRuns over `log`).
std::vector<StepRow> StepRowsOf(const engine::BoardConfig& board,
                                const engine::stored::TimelineLog& log, const v1::Lead& lead);

// The running totals per (agent, status, bucket) that answer an unfiltered
// GetAgentStats without reading every step: what a batch adds to them.
struct StepTotalsDelta {
  long long steps = 0;
  long long total_us = 0;  // ended steps' durations
  long long retries = 0;
  long long max_us = -1;   // the longest step added (totals keep the greatest seen)
};
using StepTotals = std::map<std::tuple<std::string, int, int>, StepTotalsDelta>;

// Adds to `totals` what turns a lead's steps `before` into `after`;
// returns false when they are the same.
bool DiffStepRows(const std::vector<StepRow>& before, const std::vector<StepRow>& after,
                  StepTotals* totals);

// The hour a lead's latest event fell in (micros, floored): what the
// timelines' time index holds. Coarse on purpose: a row rewritten with
// every batch changes its index entry only once an hour (on PostgreSQL the
// update can then stay on its page, with no index write at all).
inline long long LastAtHour(long long micros) {
  constexpr long long kHour = 3600LL * 1000000;
  return micros - ((micros % kHour) + kHour) % kHour;
}

// A lead's steps as stored (a StepSummary, base64), and back.
std::string EncodeSteps(const std::vector<StepRow>& steps);
absl::Status DecodeSteps(const std::string& text, std::vector<StepRow>* steps);

// Durations are counted in buckets 2 % wide: bucket b holds durations in
// [1.02^b, 1.02^(b+1)) microseconds (bucket 0 also holds 0).
int DurationBucket(long long micros);
// A bucket's representative duration (its geometric middle): within 1 % of
// every duration in it.
long long BucketMicros(int bucket);

// Builds GetAgentStats's answer from the grouped rows the database
// returns, one Add per (agent, status, bucket).
class AgentStatsBuilder {
 public:
  void Add(const std::string& agent, int status, int bucket, long long count,
           long long max_duration_us, long long total_duration_us, long long retries);
  v1::GetAgentStatsResponse Finish() const;

 private:
  struct PerAgent {
    long long steps = 0, succeeded = 0, failed = 0, unfinished = 0, running = 0, retries = 0;
    long long max_us = -1, total_us = 0;
    std::map<int, long long> buckets;  // ended steps with a duration
  };
  std::map<std::string, PerAgent> agents_;
};

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SOCI_STEP_ROWS_H_
