// ServerTest: the real leadboard-server binary on an ephemeral loopback
// port, on a fresh database of each backend, with a stub to call it, and
// WatchClient, a watch stream read on its own thread.
#ifndef LEADBOARD_TESTS_SUPPORT_SERVER_FIXTURE_H_
#define LEADBOARD_TESTS_SUPPORT_SERVER_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "backend_test.h"
#include "gtest/gtest.h"
#include "leadboard/v1/leadboard.grpc.pb.h"
#include "server_process.h"

namespace leadboard::testing {

// An event of job-1 / user-1 at a fixed base time plus `second`.
inline v1::PipelineEvent Event(const std::string& id, const std::string& lead, v1::EventType type,
                        int second, const std::string& agent = "") {
  v1::PipelineEvent event;
  event.set_event_id(id);
  event.set_lead_id(lead);
  event.set_job_id("job-1");
  event.set_user_id("user-1");
  event.set_type(type);
  event.mutable_occurred_at()->set_seconds(1767225600 + second);
  event.set_agent_name(agent);
  return event;
}

// Changes (not snapshot entries, not markers) among `responses`.
inline size_t CountChanges(const std::vector<v1::WatchLeadsResponse>& responses) {
  size_t n = 0;
  for (const auto& m : responses) {
    n += m.has_lead_change() && m.lead_change().kind() != v1::CHANGE_KIND_SNAPSHOT;
  }
  return n;
}

// A watch stream read on its own thread.
class WatchClient {
 public:
  WatchClient(v1::LeadBoard::Stub* stub, v1::WatchLeadsRequest request) {
    thread_ = std::thread([this, stub, request] {
      std::unique_ptr<grpc::ClientReader<v1::WatchLeadsResponse>> reader =
          stub->WatchLeads(&context_, request);
      v1::WatchLeadsResponse response;
      while (reader->Read(&response)) {
        absl::MutexLock lock(&mu_);
        responses_.push_back(response);
      }
      grpc::Status status = reader->Finish();
      absl::MutexLock lock(&mu_);
      status_ = status;
      done_ = true;
    });
  }
  ~WatchClient() {
    context_.TryCancel();
    thread_.join();
  }

  // Waits until `ready` holds for the responses so far (or 20 s pass).
  bool WaitUntil(const std::function<bool(const std::vector<v1::WatchLeadsResponse>&)>& ready) {
    absl::MutexLock lock(&mu_);
    auto condition = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return ready(responses_) || done_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&condition), absl::Seconds(20));
    return ready(responses_);
  }
  bool WaitForSynced() {
    return WaitUntil([](const auto& r) {
      for (const auto& m : r) {
        if (m.has_synced()) return true;
      }
      return false;
    });
  }
  bool WaitForDone() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&done_), absl::Seconds(20));
  }
  std::vector<v1::WatchLeadsResponse> responses() {
    absl::MutexLock lock(&mu_);
    return responses_;
  }
  // Changes (not snapshot entries, not markers) received.
  std::vector<v1::WatchLeadsResponse> changes() {
    std::vector<v1::WatchLeadsResponse> out;
    for (const auto& m : responses()) {
      if (m.has_lead_change() && m.lead_change().kind() != v1::CHANGE_KIND_SNAPSHOT) {
        out.push_back(m);
      }
    }
    return out;
  }
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  grpc::ClientContext context_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<v1::WatchLeadsResponse> responses_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

class ServerTest : public BackendTest {
 protected:

  void StartServer(std::vector<std::string> args = {}) {
    args.push_back("--progress_interval=500ms");
    server_ = std::make_unique<ServerProcess>(db_->url(), db_->dir(), args);
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
    Connect();
  }
  void Connect() {
    channel_ = grpc::CreateChannel(server_->target(), grpc::InsecureChannelCredentials());
    stub_ = v1::LeadBoard::NewStub(channel_);
  }

  grpc::Status Ingest(const std::vector<v1::PipelineEvent>& events, v1::IngestSummary* summary) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto writer = stub_->IngestEvents(&context, summary);
    for (const auto& event : events) {
      if (!writer->Write(event)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }
  v1::IngestSummary IngestOk(const std::vector<v1::PipelineEvent>& events) {
    v1::IngestSummary summary;
    grpc::Status status = Ingest(events, &summary);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return summary;
  }
  std::unique_ptr<WatchClient> Watch(int64_t since, const std::string& job = "") {
    v1::WatchLeadsRequest request;
    request.set_since_revision(since);
    request.set_job_id(job);
    return std::make_unique<WatchClient>(stub_.get(), request);
  }
  v1::Lead GetLead(const std::string& id) {
    grpc::ClientContext context;
    v1::GetLeadRequest request;
    request.set_lead_id(id);
    v1::Lead lead;
    grpc::Status status = stub_->GetLead(&context, request, &lead);
    EXPECT_TRUE(status.ok()) << id << ": " << status.error_message();
    return lead;
  }

  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LeadBoard::Stub> stub_;
};

}  // namespace leadboard::testing

#endif  // LEADBOARD_TESTS_SUPPORT_SERVER_FIXTURE_H_
