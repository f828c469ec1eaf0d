#include "store/soci/step_rows.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "engine/agent_timeline.h"
#include "store/soci/batch_rows.h"
#include "google/protobuf/util/time_util.h"

namespace leadboard::store {
namespace {

using google::protobuf::util::TimeUtil;

const double kLogGrowth = std::log(1.02);

long long MicrosOf(const google::protobuf::Timestamp& t) {
  return static_cast<long long>(t.seconds()) * 1000000 + t.nanos() / 1000;
}

google::protobuf::Duration DurationOf(long long micros) {
  return TimeUtil::MicrosecondsToDuration(micros);
}

}  // namespace

std::vector<StepRow> StepRowsOf(const engine::BoardConfig& board,
                                const engine::stored::TimelineLog& log, const v1::Lead& lead) {
  std::vector<StepRow> rows;
  const std::vector<v1::AgentRun> runs = engine::BuildRuns(board, log, lead);
  for (size_t r = 0; r < runs.size(); ++r) {
    const v1::AgentRun& run = runs[r];
    const bool past = static_cast<int>(r) < log.past_runs_size();
    const std::string& job = past ? log.past_runs(static_cast<int>(r)).job_id() : lead.job_id();
    const long long key = engine::RunKey(run);
    for (const v1::AgentStep& step : run.steps()) {
      StepRow row;
      row.run_key = key;
      row.agent = step.agent();
      row.attempt = step.attempt();
      row.job_id = job;
      row.started_at = step.has_started_at() ? MicrosOf(step.started_at())
                       : step.has_ended_at() ? MicrosOf(step.ended_at())
                                             : key;
      row.status = step.status();
      if (step.has_duration()) {
        row.duration_us = TimeUtil::DurationToMicroseconds(step.duration());
        row.bucket = DurationBucket(row.duration_us);
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

bool DiffStepRows(const std::vector<StepRow>& before, const std::vector<StepRow>& after,
                  StepTotals* totals) {
  using Key = std::tuple<long long, std::string, int>;
  bool changed = false;
  auto count = [totals, &changed](const StepRow& row, int sign) {
    changed = true;
    StepTotalsDelta& delta = (*totals)[{row.agent, row.status, row.bucket}];
    delta.steps += sign;
    delta.total_us += sign * std::max(row.duration_us, 0LL);
    delta.retries += sign * (row.attempt > 1 ? 1 : 0);
    if (sign > 0) delta.max_us = std::max(delta.max_us, row.duration_us);
  };
  absl::flat_hash_map<Key, const StepRow*> old;
  for (const StepRow& row : before) old[Key(row.Key())] = &row;
  for (const StepRow& row : after) {
    auto it = old.find(Key(row.Key()));
    if (it == old.end() || !(*it->second == row)) {
      count(row, +1);
      if (it != old.end()) count(*it->second, -1);
    }
    if (it != old.end()) old.erase(it);
  }
  for (const auto& [key, row] : old) count(*row, -1);
  return changed;
}

std::string EncodeSteps(const std::vector<StepRow>& steps) {
  engine::stored::StepSummary summary;
  absl::flat_hash_map<std::string, int> agents, jobs;
  auto index = [](const std::string& name, absl::flat_hash_map<std::string, int>* names,
                  google::protobuf::RepeatedPtrField<std::string>* list) {
    auto [it, added] = names->try_emplace(name, list->size());
    if (added) *list->Add() = name;
    return it->second;
  };
  for (const StepRow& row : steps) {
    summary.add_agent(index(row.agent, &agents, summary.mutable_agents()));
    summary.add_job(index(row.job_id, &jobs, summary.mutable_jobs()));
    summary.add_attempt(row.attempt);
    summary.add_status(row.status);
    summary.add_started_at(row.started_at);
    summary.add_duration_us(row.duration_us);
    summary.add_run_key(row.run_key);
  }
  return Encode(summary);
}

absl::Status DecodeSteps(const std::string& text, std::vector<StepRow>* steps) {
  engine::stored::StepSummary summary;
  if (absl::Status s = Decode(text, &summary, "agent steps"); !s.ok()) return s;
  const int n = summary.agent_size();
  if (summary.job_size() != n || summary.attempt_size() != n || summary.status_size() != n ||
      summary.started_at_size() != n || summary.duration_us_size() != n ||
      summary.run_key_size() != n) {
    return CorruptRow("agent steps");
  }
  for (int i = 0; i < n; ++i) {
    if (summary.agent(i) < 0 || summary.agent(i) >= summary.agents_size() ||
        summary.job(i) < 0 || summary.job(i) >= summary.jobs_size()) {
      return CorruptRow("agent steps");
    }
    StepRow& row = steps->emplace_back();
    row.agent = summary.agents(summary.agent(i));
    row.job_id = summary.jobs(summary.job(i));
    row.attempt = summary.attempt(i);
    row.status = summary.status(i);
    row.started_at = summary.started_at(i);
    row.duration_us = summary.duration_us(i);
    row.bucket = row.duration_us < 0 ? -1 : DurationBucket(row.duration_us);
    row.run_key = summary.run_key(i);
  }
  return absl::OkStatus();
}

int DurationBucket(long long micros) {
  if (micros <= 1) return 0;
  return static_cast<int>(std::floor(std::log(static_cast<double>(micros)) / kLogGrowth));
}

long long BucketMicros(int bucket) {
  return static_cast<long long>(std::llround(std::exp((bucket + 0.5) * kLogGrowth)));
}

void AgentStatsBuilder::Add(const std::string& agent, int status, int bucket, long long count,
                            long long max_duration_us, long long total_duration_us,
                            long long retries) {
  PerAgent& a = agents_[agent];
  a.steps += count;
  a.retries += retries;
  switch (status) {
    case v1::STEP_STATUS_SUCCEEDED:
      a.succeeded += count;
      break;
    case v1::STEP_STATUS_FAILED:
      a.failed += count;
      break;
    case v1::STEP_STATUS_UNFINISHED:
      a.unfinished += count;
      break;
    case v1::STEP_STATUS_RUNNING:
      a.running += count;
      break;
    default:
      break;
  }
  const bool ended = status == v1::STEP_STATUS_SUCCEEDED || status == v1::STEP_STATUS_FAILED;
  if (ended && bucket >= 0) {
    a.buckets[bucket] += count;
    a.max_us = std::max(a.max_us, max_duration_us);
    a.total_us += total_duration_us;
  }
}

v1::GetAgentStatsResponse AgentStatsBuilder::Finish() const {
  v1::GetAgentStatsResponse out;
  for (const auto& entry : agents_) {
    const std::string& name = entry.first;
    const PerAgent& a = entry.second;  // not a structured binding: the lambda below uses it
    v1::AgentStats* stats = out.add_agents();
    stats->set_agent(name);
    stats->set_steps(a.steps);
    stats->set_succeeded(a.succeeded);
    stats->set_failed(a.failed);
    stats->set_unfinished(a.unfinished);
    stats->set_running(a.running);
    stats->set_retries(a.retries);
    const long long ended = a.succeeded + a.failed;
    stats->set_failure_rate(ended == 0 ? 0.0 : static_cast<double>(a.failed) / ended);
    out.set_steps(out.steps() + a.steps);
    long long measured = 0;
    for (const auto& [bucket, count] : a.buckets) measured += count;
    if (measured == 0) continue;
    // The nearest-rank percentile's bucket, reported as its middle but
    // never above the exact maximum.
    auto percentile = [&](double p) {
      const long long rank = std::max<long long>(1, static_cast<long long>(std::ceil(p * measured)));
      long long seen = 0;
      for (const auto& [bucket, count] : a.buckets) {
        seen += count;
        if (seen >= rank) return std::min(BucketMicros(bucket), a.max_us);
      }
      return a.max_us;
    };
    *stats->mutable_p50() = DurationOf(percentile(0.50));
    *stats->mutable_p95() = DurationOf(percentile(0.95));
    *stats->mutable_max() = DurationOf(a.max_us);
    *stats->mutable_total() = DurationOf(a.total_us);
  }
  return out;
}

}  // namespace leadboard::store
