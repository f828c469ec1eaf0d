#include "api/lead_board_service.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/grpc_status.h"
#include "api/ingest_reactor.h"
#include "api/raw_message.h"
#include "api/watch_reactor.h"
#include "engine/event_validator.h"

namespace leadboard::api {
namespace {

struct FieldCheck {
  const char* name;
  const std::string& value;
};

// The first id field that is over the id limit, as an INVALID_ARGUMENT.
std::optional<grpc::Status> CheckIds(std::initializer_list<FieldCheck> fields) {
  for (const FieldCheck& field : fields) {
    if (field.value.size() > engine::kMaxIdBytes) {
      return InvalidField(field.name, absl::StrCat("is ", field.value.size(),
                                                   " bytes; the limit is ", engine::kMaxIdBytes));
    }
  }
  return std::nullopt;
}

std::optional<grpc::Status> CheckStage(const engine::BoardConfig& board, const std::string& stage) {
  if (stage.empty() || board.Find(stage) != nullptr) return std::nullopt;
  std::vector<std::string> ids;
  for (const v1::BoardColumn& column : board.columns()) ids.push_back(column.id());
  return InvalidField("stage", absl::StrCat("unknown column \"", stage, "\"; columns are ",
                                            absl::StrJoin(ids, ", ")));
}

// page_size: 0 means the default; larger than the maximum is clamped.
std::optional<grpc::Status> PageSize(int32_t requested, int default_size, int max_size,
                                     int* size) {
  if (requested < 0) return InvalidField("page_size", "must not be negative");
  *size = requested == 0 ? default_size : std::min<int>(requested, max_size);
  return std::nullopt;
}

// Scopes a request's user_id to the principal: fills it in when empty,
// PERMISSION_DENIED when it names another user.
std::optional<grpc::Status> ScopeUser(const Principal& principal, std::string* user_id) {
  if (principal.user_id.empty()) return std::nullopt;
  if (user_id->empty()) {
    *user_id = principal.user_id;
    return std::nullopt;
  }
  if (*user_id != principal.user_id) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "user_id: this token may only read its own user's leads");
  }
  return std::nullopt;
}

// A reactor that only finishes with `status`.
template <typename Base>
class Refused final : public Base {
 public:
  explicit Refused(grpc::Status status) { this->Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

std::optional<grpc::Status> LeadBoardService::Authorize(grpc::CallbackServerContext* ctx,
                                                        bool write, Principal* principal) const {
  absl::StatusOr<Principal> who = context_.auth->Authenticate(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  if (write ? !who->CanIngest() : !who->CanRead()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        write ? "this token may not ingest events (role board)"
                              : "this token may not read the board (role worker)");
  }
  *principal = *std::move(who);
  return std::nullopt;
}

grpc::ServerReadReactor<grpc::ByteBuffer>* LeadBoardService::IngestEvents(
    grpc::CallbackServerContext* ctx, grpc::ByteBuffer* summary) {
  Principal principal;
  if (std::optional<grpc::Status> denied = Authorize(ctx, /*write=*/true, &principal)) {
    return new Refused<grpc::ServerReadReactor<grpc::ByteBuffer>>(*denied);
  }
  return new IngestReactor(context_, std::move(principal), summary);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* LeadBoardService::WatchLeads(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* raw) {
  Principal principal;
  v1::WatchLeadsRequest request;
  std::optional<grpc::Status> invalid = Authorize(ctx, /*write=*/false, &principal);
  if (!invalid && !ParseMessage(*raw, &request)) {
    invalid = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                           "request: not a valid WatchLeadsRequest");
  }
  v1::WatchLeadsRequest scoped = request;
  if (!invalid) invalid = CheckIds({{"job_id", request.job_id()}, {"user_id", request.user_id()}});
  if (!invalid && request.since_revision() < 0) {
    invalid = InvalidField("since_revision", "must not be negative");
  }
  if (!invalid) invalid = ScopeUser(principal, scoped.mutable_user_id());
  if (invalid) return new Refused<grpc::ServerWriteReactor<grpc::ByteBuffer>>(*invalid);
  return new WatchReactor(context_, scoped);
}

grpc::ServerUnaryReactor* LeadBoardService::GetLead(grpc::CallbackServerContext* ctx,
                                                    const v1::GetLeadRequest* request,
                                                    v1::Lead* lead) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Principal principal;
  std::optional<grpc::Status> invalid = Authorize(ctx, /*write=*/false, &principal);
  if (!invalid) invalid = CheckIds({{"lead_id", request->lead_id()}});
  if (!invalid && request->lead_id().empty()) invalid = InvalidField("lead_id", "is required");
  if (invalid) {
    reactor->Finish(*invalid);
    return reactor;
  }
  context_.executor->Post([this, reactor, request, lead, principal] {
    absl::StatusOr<std::optional<v1::Lead>> found = context_.repository->GetLead(request->lead_id());
    if (!found.ok()) {
      reactor->Finish(ToGrpcStatus(found.status()));
    } else if (!principal.user_id.empty() &&
               (!found->has_value() || !principal.Owns((*found)->user_id()))) {
      // Same answer for another user's lead and a missing one: no hint.
      reactor->Finish(grpc::Status(
          grpc::StatusCode::PERMISSION_DENIED,
          absl::StrCat("lead \"", request->lead_id(), "\" is not visible to this token")));
    } else if (!found->has_value()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                   absl::StrCat("lead \"", request->lead_id(), "\" not found")));
    } else {
      *lead = std::move(**found);
      reactor->Finish(grpc::Status::OK);
    }
  });
  return reactor;
}

grpc::ServerUnaryReactor* LeadBoardService::ListLeads(grpc::CallbackServerContext* ctx,
                                                      const v1::ListLeadsRequest* request,
                                                      v1::ListLeadsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  int page_size = 0;
  std::string after;
  Principal principal;
  std::string user_id = request->user_id();
  std::optional<grpc::Status> invalid = Authorize(ctx, /*write=*/false, &principal);
  if (!invalid) invalid = CheckIds({{"job_id", request->job_id()}, {"user_id", user_id}});
  if (!invalid) invalid = ScopeUser(principal, &user_id);
  if (!invalid) invalid = CheckStage(*context_.board, request->stage());
  if (!invalid) invalid = PageSize(request->page_size(), 100, 1000, &page_size);
  if (!invalid && !request->page_token().empty() &&
      !absl::WebSafeBase64Unescape(request->page_token(), &after)) {
    invalid = InvalidField("page_token", "not a token this server issued");
  }
  if (!invalid && !v1::LeadView_IsValid(request->view())) {
    invalid = InvalidField("view", "unknown value");
  }
  if (invalid) {
    reactor->Finish(*invalid);
    return reactor;
  }
  context_.executor->Post([this, reactor, request, response, page_size, after, user_id] {
    absl::StatusOr<store::LeadPage> page = context_.repository->ListLeads(
        store::LeadFilter{user_id, request->job_id(), request->stage()}, after,
        page_size, request->view() == v1::LEAD_VIEW_FULL);
    if (!page.ok()) {
      reactor->Finish(ToGrpcStatus(page.status()));
      return;
    }
    for (v1::Lead& lead : page->leads) *response->add_leads() = std::move(lead);
    if (!page->next_after.empty()) {
      response->set_next_page_token(absl::WebSafeBase64Escape(page->next_after));
    }
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* LeadBoardService::GetBoard(grpc::CallbackServerContext* ctx,
                                                     const v1::GetBoardRequest* request,
                                                     v1::Board* board) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Principal principal;
  std::string user_id = request->user_id();
  std::optional<grpc::Status> invalid = Authorize(ctx, /*write=*/false, &principal);
  if (!invalid) invalid = CheckIds({{"job_id", request->job_id()}, {"user_id", user_id}});
  if (!invalid) invalid = ScopeUser(principal, &user_id);
  if (invalid) {
    reactor->Finish(*invalid);
    return reactor;
  }
  context_.executor->Post([this, reactor, request, board, user_id] {
    absl::StatusOr<int64_t> revision = context_.repository->CurrentRevision();
    absl::StatusOr<absl::flat_hash_map<std::string, int64_t>> counts =
        revision.ok() ? context_.repository->CountByStage(
                            store::LeadFilter{user_id, request->job_id(), ""})
                      : revision.status();
    if (!counts.ok()) {
      reactor->Finish(ToGrpcStatus(counts.status()));
      return;
    }
    for (const v1::BoardColumn& column : context_.board->columns()) {
      v1::BoardColumn* out = board->add_columns();
      *out = column;
      auto it = counts->find(column.id());
      out->set_lead_count(it == counts->end() ? 0 : it->second);
    }
    board->set_revision(*revision);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* LeadBoardService::ListJobs(grpc::CallbackServerContext* ctx,
                                                     const v1::ListJobsRequest* request,
                                                     v1::ListJobsResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  int page_size = 0;
  Principal principal;
  std::string user_id = request->user_id();
  std::optional<grpc::Status> invalid = Authorize(ctx, /*write=*/false, &principal);
  if (!invalid) invalid = CheckIds({{"user_id", user_id}});
  if (!invalid) invalid = ScopeUser(principal, &user_id);
  if (!invalid) invalid = PageSize(request->page_size(), 50, 1000, &page_size);
  if (invalid) {
    reactor->Finish(*invalid);
    return reactor;
  }
  context_.executor->Post([this, reactor, request, response, page_size, user_id] {
    absl::StatusOr<store::JobPage> page = context_.repository->ListJobs(
        user_id, request->page_token(), page_size, *context_.board);
    if (!page.ok()) {
      reactor->Finish(page.status().code() == absl::StatusCode::kInvalidArgument
                          ? InvalidField("page_token", "not a token this server issued")
                          : ToGrpcStatus(page.status()));
      return;
    }
    for (v1::Job& job : page->jobs) *response->add_jobs() = std::move(job);
    response->set_next_page_token(page->next_token);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace leadboard::api
