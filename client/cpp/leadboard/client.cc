#include "leadboard/client.h"

#include "absl/strings/cord.h"
#include "google/rpc/status.pb.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace leadboard::client {
namespace {

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(const ConnectOptions& options) {
  if (!options.tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  if (!options.ca_file.empty()) {
    std::ifstream in(options.ca_file);
    std::stringstream pem;
    pem << in.rdbuf();
    ssl.pem_root_certs = pem.str();
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& any : details.details()) {
      out.SetPayload(any.type_url(), absl::Cord(any.value()));
    }
  }
  return out;
}

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const absl::Status& status) {
  auto payload = status.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  google::rpc::ErrorInfo info;
  if (!payload || !info.ParseFromString(std::string(*payload))) return std::nullopt;
  return info;
}

std::optional<google::rpc::BadRequest> BadRequestOf(const absl::Status& status) {
  auto payload = status.GetPayload("type.googleapis.com/google.rpc.BadRequest");
  google::rpc::BadRequest bad_request;
  if (!payload || !bad_request.ParseFromString(std::string(*payload))) return std::nullopt;
  return bad_request;
}

Client::Client(const ConnectOptions& options) : options_(options) {
  grpc::ChannelArguments args;
  // Long-lived streams: ping every 30 s so idle proxies and NATs keep them.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  if (options.connection_index != 0) args.SetInt("leadboard.connection", options.connection_index);
  channel_ = grpc::CreateCustomChannel(options.target, Credentials(options), args);
  stub_ = v1::LeadBoard::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Client::NewContext(absl::Duration deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!options_.token.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
  }
  if (deadline > absl::ZeroDuration()) {
    context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  }
  return context;
}

grpc::Status Client::IngestBatch(const std::vector<v1::PipelineEvent>& events, size_t begin,
                                 size_t end, const IngestOptions& options,
                                 v1::IngestSummary* summary) {
  absl::Duration backoff = options.initial_backoff;
  grpc::Status status;
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    summary->Clear();
    std::unique_ptr<grpc::ClientContext> context = NewContext(options.deadline);
    // Wait for the server to come back rather than failing fast.
    context->set_wait_for_ready(attempt > 1);
    std::unique_ptr<grpc::ClientWriter<v1::PipelineEvent>> writer =
        stub_->IngestEvents(context.get(), summary);
    for (size_t i = begin; i < end; ++i) {
      if (!writer->Write(events[i])) break;
    }
    writer->WritesDone();
    status = writer->Finish();
    if (status.ok() || !Retryable(status.error_code())) return status;
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, options.max_backoff);
  }
  return status;
}

absl::StatusOr<v1::IngestSummary> Client::Ingest(const std::vector<v1::PipelineEvent>& events,
                                                 const IngestOptions& options,
                                                 v1::IngestSummary* partial) {
  v1::IngestSummary total;
  const size_t batch = std::max<size_t>(1, options.batch_size);
  for (size_t begin = 0; begin < events.size(); begin += batch) {
    const size_t end = std::min(events.size(), begin + batch);
    v1::IngestSummary summary;
    grpc::Status status = IngestBatch(events, begin, end, options, &summary);
    if (!status.ok()) {
      if (partial != nullptr) *partial = total;
      return FromGrpc(status);
    }
    total.set_accepted(total.accepted() + summary.accepted());
    total.set_duplicates(total.duplicates() + summary.duplicates());
    total.set_last_revision(std::max(total.last_revision(), summary.last_revision()));
    for (v1::RejectedEvent rejected : summary.rejected()) {
      rejected.set_index(rejected.index() + static_cast<int64_t>(begin));
      *total.add_rejected() = std::move(rejected);
    }
  }
  return total;
}

absl::Status Client::Watch(const WatchOptions& options,
                           const std::function<bool(const v1::WatchLeadsResponse&)>& on_message,
                           const std::function<void(WatchNotice, const grpc::Status&)>& on_notice) {
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = false;
  }
  int64_t since = options.since_revision;
  absl::Duration backoff = absl::Milliseconds(100);
  for (;;) {
    std::unique_ptr<grpc::ClientContext> context = NewContext();
    context->set_wait_for_ready(true);
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) return absl::CancelledError("watch cancelled");
      watch_context_ = context.get();
    }
    v1::WatchLeadsRequest request;
    request.set_since_revision(since);
    request.set_job_id(options.job_id);
    request.set_user_id(options.user_id);
    request.set_conflate(options.conflate);
    request.set_catch_up(options.catch_up);
    request.set_batch(options.batch);
    std::unique_ptr<grpc::ClientReader<v1::WatchLeadsResponse>> reader =
        stub_->WatchLeads(context.get(), request);
    // One message to the caller; false when it asked to stop.
    auto deliver = [&](const v1::WatchLeadsResponse& message) {
      // Snapshot entries carry their lead's revision, not a log position.
      const bool snapshot_entry = message.has_lead_change() &&
                                  message.lead_change().kind() == v1::CHANGE_KIND_SNAPSHOT;
      if (!snapshot_entry) since = std::max(since, message.revision());
      return on_message(message);
    };
    v1::WatchLeadsResponse response;
    bool stop = false;
    while (!stop && reader->Read(&response)) {
      backoff = absl::Milliseconds(100);
      if (!response.has_batch()) {
        stop = !deliver(response);
        continue;
      }
      for (const v1::WatchLeadsResponse& message : response.batch().messages()) {
        if (!deliver(message)) {
          stop = true;
          break;
        }
      }
    }
    if (stop) context->TryCancel();
    grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      watch_context_ = nullptr;
      if (cancelled_) return absl::CancelledError("watch cancelled");
    }
    if (stop) return absl::OkStatus();
    switch (status.error_code()) {
      case grpc::StatusCode::OUT_OF_RANGE:
        if (on_notice) on_notice(WatchNotice::kRestarting, status);
        since = 0;
        continue;
      case grpc::StatusCode::OK:
      case grpc::StatusCode::UNAVAILABLE:
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
      case grpc::StatusCode::DEADLINE_EXCEEDED:
      case grpc::StatusCode::ABORTED:
      case grpc::StatusCode::INTERNAL:
        if (on_notice) on_notice(WatchNotice::kReconnecting, status);
        absl::SleepFor(backoff);
        backoff = std::min(backoff * 2, options.max_backoff);
        continue;
      default:
        return FromGrpc(status);
    }
  }
}

void Client::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (watch_context_ != nullptr) watch_context_->TryCancel();
}

absl::StatusOr<v1::Lead> Client::GetLead(const std::string& lead_id) {
  v1::GetLeadRequest request;
  request.set_lead_id(lead_id);
  v1::Lead lead;
  grpc::Status status = stub_->GetLead(NewContext(absl::Seconds(30)).get(), request, &lead);
  if (!status.ok()) return FromGrpc(status);
  return lead;
}

absl::StatusOr<v1::MoveLeadResponse> Client::MoveLead(const v1::MoveLeadRequest& request) {
  v1::MoveLeadResponse response;
  grpc::Status status = stub_->MoveLead(NewContext(absl::Seconds(30)).get(), request, &response);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

absl::StatusOr<std::vector<v1::Lead>> Client::ListLeads(v1::ListLeadsRequest request) {
  std::vector<v1::Lead> leads;
  do {
    v1::ListLeadsResponse response;
    grpc::Status status = stub_->ListLeads(NewContext(absl::Seconds(30)).get(), request, &response);
    if (!status.ok()) return FromGrpc(status);
    for (v1::Lead& lead : *response.mutable_leads()) leads.push_back(std::move(lead));
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return leads;
}

absl::StatusOr<v1::Board> Client::GetBoard(const v1::GetBoardRequest& request) {
  v1::Board board;
  grpc::Status status = stub_->GetBoard(NewContext(absl::Seconds(30)).get(), request, &board);
  if (!status.ok()) return FromGrpc(status);
  return board;
}

absl::StatusOr<v1::GetAgentStatsResponse> Client::GetAgentStats(
    const v1::GetAgentStatsRequest& request) {
  v1::GetAgentStatsResponse response;
  grpc::Status status =
      stub_->GetAgentStats(NewContext(absl::Seconds(30)).get(), request, &response);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

absl::StatusOr<std::vector<v1::Job>> Client::ListJobs(v1::ListJobsRequest request) {
  std::vector<v1::Job> jobs;
  do {
    v1::ListJobsResponse response;
    grpc::Status status = stub_->ListJobs(NewContext(absl::Seconds(30)).get(), request, &response);
    if (!status.ok()) return FromGrpc(status);
    for (v1::Job& job : *response.mutable_jobs()) jobs.push_back(std::move(job));
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return jobs;
}

}  // namespace leadboard::client
