#include "api/lead_board_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/grpc_status.h"
#include "api/ingest_reactor.h"
#include "api/raw_message.h"
#include "engine/event_validator.h"
#include "engine/agent_timeline.h"
#include "engine/stage_history.h"
#include "engine/status_details.h"
#include "google/protobuf/util/time_util.h"

namespace leadboard::api {
namespace {

using engine::InvalidFieldError;

constexpr size_t kMaxNoteBytes = 1024;

struct FieldCheck {
  const char* name;
  const std::string& value;
};

// The first field over the id limit, as INVALID_ARGUMENT naming it.
absl::Status CheckIds(std::initializer_list<FieldCheck> fields) {
  for (const FieldCheck& field : fields) {
    if (field.value.size() > engine::kMaxIdBytes) {
      return InvalidFieldError(field.name, absl::StrCat("is ", field.value.size(),
                                                        " bytes; the limit is ",
                                                        engine::kMaxIdBytes));
    }
  }
  return absl::OkStatus();
}

// A required id: present and within the id limit.
absl::Status CheckRequiredId(const char* name, const std::string& value) {
  if (value.empty()) return InvalidFieldError(name, "is required");
  return CheckIds({{name, value}});
}

absl::Status CheckStage(const engine::BoardConfig& board, const std::string& stage) {
  if (stage.empty() || board.Find(stage) != nullptr) return absl::OkStatus();
  std::vector<std::string> ids;
  for (const v1::BoardColumn& column : board.columns()) ids.push_back(column.id());
  return InvalidFieldError("stage", absl::StrCat("unknown column \"", stage, "\"; columns are ",
                                                 absl::StrJoin(ids, ", ")));
}

// page_size: 0 means the default; larger than the maximum is clamped.
absl::StatusOr<int> PageSize(int32_t requested, int default_size, int max_size) {
  if (requested < 0) return InvalidFieldError("page_size", "must not be negative");
  return requested == 0 ? default_size : std::min<int>(requested, max_size);
}

// Scopes a request's user_id to the principal: fills it in when empty,
// PERMISSION_DENIED when it names another user.
absl::Status ScopeUser(const Principal& principal, std::string* user_id) {
  if (principal.user_id.empty()) return absl::OkStatus();
  if (user_id->empty()) {
    *user_id = principal.user_id;
    return absl::OkStatus();
  }
  if (*user_id != principal.user_id) {
    return absl::PermissionDeniedError("user_id: this token may only read its own user's leads");
  }
  return absl::OkStatus();
}

// The answer for a lead a scoped token may not see, the same whether it
// exists or not: no hint about other users' leads.
absl::Status NotVisible(const std::string& lead_id) {
  return absl::PermissionDeniedError(
      absl::StrCat("lead \"", lead_id, "\" is not visible to this token"));
}

absl::Status LeadNotFound(const std::string& lead_id) {
  return absl::NotFoundError(absl::StrCat("lead \"", lead_id, "\" not found"));
}

// MoveLead's request, checked field by field; the first violation wins.
absl::Status CheckMove(const engine::BoardConfig& board, const v1::MoveLeadRequest& request) {
  absl::Status status = CheckRequiredId("lead_id", request.lead_id());
  if (status.ok()) status = CheckRequiredId("to_stage", request.to_stage());
  if (status.ok() && !board.AcceptsMoves(request.to_stage())) {
    if (board.Find(request.to_stage()) == nullptr) {
      std::vector<std::string> ids;
      for (const v1::BoardColumn& column : board.columns()) {
        if (column.accepts_moves()) ids.push_back(column.id());
      }
      status = InvalidFieldError(
          "to_stage", absl::StrCat("unknown column \"", request.to_stage(),
                                   "\"; people may move leads to ", absl::StrJoin(ids, ", ")));
    } else {
      status = engine::MoveTargetError(request.to_stage());
    }
  }
  if (status.ok() && request.has_expected_revision() && request.expected_revision() < 0) {
    status = InvalidFieldError("expected_revision", "must not be negative");
  }
  if (status.ok() && request.note().size() > kMaxNoteBytes) {
    status = InvalidFieldError("note", absl::StrCat("is ", request.note().size(),
                                                    " bytes; the limit is ", kMaxNoteBytes));
  }
  if (status.ok() && absl::StrContains(request.note(), '\0')) {
    status = InvalidFieldError("note", "contains a NUL byte");  // no text column holds one
  }
  if (status.ok()) status = CheckIds({{"actor", request.actor()}});
  return status;
}

// A reactor that only finishes with `status`.
template <typename Base>
class Refused final : public Base {
 public:
  explicit Refused(const absl::Status& status) { this->Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

absl::StatusOr<Principal> LeadBoardService::Authorize(const grpc::ServerContextBase& ctx,
                                                      Access access) const {
  absl::StatusOr<Principal> who = context_.auth->Authenticate(ctx);
  if (!who.ok()) return who.status();
  switch (access) {
    case Access::kIngest:
      if (!who->CanIngest()) {
        return absl::PermissionDeniedError("this token may not ingest events (role board)");
      }
      break;
    case Access::kRead:
      if (!who->CanRead()) {
        return absl::PermissionDeniedError("this token may not read the board (role worker)");
      }
      break;
    case Access::kMove:
      if (!who->CanRead()) {
        return absl::PermissionDeniedError("this token may not move leads (role worker)");
      }
      break;
  }
  return who;
}

grpc::ServerUnaryReactor* LeadBoardService::Unary(grpc::CallbackServerContext* ctx,
                                                  Access access, const Prepare& prepare) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Principal> principal = Authorize(*ctx, access);
  absl::StatusOr<Work> work = principal.ok() ? prepare(*principal) : principal.status();
  if (!work.ok()) {
    reactor->Finish(ToGrpcStatus(work.status()));
    return reactor;
  }
  context_.executor->Post(
      [reactor, work = *std::move(work)] { reactor->Finish(ToGrpcStatus(work())); });
  return reactor;
}

grpc::ServerReadReactor<grpc::ByteBuffer>* LeadBoardService::IngestEvents(
    grpc::CallbackServerContext* ctx, grpc::ByteBuffer* summary) {
  absl::StatusOr<Principal> principal = Authorize(*ctx, Access::kIngest);
  if (!principal.ok()) {
    return new Refused<grpc::ServerReadReactor<grpc::ByteBuffer>>(principal.status());
  }
  return new IngestReactor(context_, *std::move(principal), summary);
}

absl::StatusOr<v1::WatchLeadsRequest> LeadBoardService::AcceptWatch(
    const grpc::ServerContextBase& ctx, const grpc::ByteBuffer& raw) const {
  v1::WatchLeadsRequest request;
  absl::StatusOr<Principal> principal = Authorize(ctx, Access::kRead);
  absl::Status invalid = principal.status();
  if (invalid.ok() && !ParseMessage(raw, &request)) {
    invalid = absl::InvalidArgumentError("request: not a valid WatchLeadsRequest");
  }
  if (invalid.ok()) {
    invalid = CheckIds({{"job_id", request.job_id()}, {"user_id", request.user_id()}});
  }
  if (invalid.ok() && request.since_revision() < 0) {
    invalid = InvalidFieldError("since_revision", "must not be negative");
  }
  if (invalid.ok()) invalid = ScopeUser(*principal, request.mutable_user_id());
  if (!invalid.ok()) return invalid;
  return request;
}

grpc::ServerUnaryReactor* LeadBoardService::GetLead(grpc::CallbackServerContext* ctx,
                                                    const v1::GetLeadRequest* request,
                                                    v1::Lead* lead) {
  return Unary(ctx, Access::kRead, [=](const Principal& principal) -> absl::StatusOr<Work> {
    absl::Status invalid = CheckRequiredId("lead_id", request->lead_id());
    if (!invalid.ok()) return invalid;
    return [=]() -> absl::Status {
      engine::stored::TimelineLog timeline;
      absl::StatusOr<std::optional<v1::Lead>> found =
          context_.repository->GetLead(request->lead_id(), &timeline);
      if (!found.ok()) return found.status();
      if (!principal.user_id.empty() &&
          (!found->has_value() || !principal.Owns((*found)->user_id()))) {
        return NotVisible(request->lead_id());
      }
      if (!found->has_value()) return LeadNotFound(request->lead_id());
      *lead = std::move(**found);
      for (v1::AgentRun& run : engine::BuildRuns(*context_.board, timeline, *lead)) {
        *lead->add_runs() = std::move(run);
      }
      engine::CompleteHistory(
          *context_.board,
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
              absl::ToUnixMicros(context_.clock->Now())),
          lead);
      return absl::OkStatus();
    };
  });
}

grpc::ServerUnaryReactor* LeadBoardService::ListLeads(grpc::CallbackServerContext* ctx,
                                                      const v1::ListLeadsRequest* request,
                                                      v1::ListLeadsResponse* response) {
  return Unary(ctx, Access::kRead, [=](const Principal& principal) -> absl::StatusOr<Work> {
    store::LeadFilter filter{request->user_id(), request->job_id(), request->stage(),
                             request->stalled()};
    absl::Status invalid = CheckIds({{"job_id", filter.job_id}, {"user_id", filter.user_id}});
    if (invalid.ok()) invalid = ScopeUser(principal, &filter.user_id);
    if (invalid.ok()) invalid = CheckStage(*context_.board, filter.stage);
    absl::StatusOr<int> page_size = PageSize(request->page_size(), 100, 1000);
    if (invalid.ok()) invalid = page_size.status();
    std::string after;
    if (invalid.ok() && !request->page_token().empty() &&
        !absl::WebSafeBase64Unescape(request->page_token(), &after)) {
      invalid = InvalidFieldError("page_token", "not a token this server issued");
    }
    if (invalid.ok() && !v1::LeadView_IsValid(request->view())) {
      invalid = InvalidFieldError("view", "unknown value");
    }
    if (!invalid.ok()) return invalid;
    return [=, size = *page_size]() -> absl::Status {
      absl::StatusOr<store::LeadPage> page = context_.repository->ListLeads(
          filter, after, size, request->view() == v1::LEAD_VIEW_FULL);
      if (!page.ok()) return page.status();
      for (v1::Lead& lead : page->leads) *response->add_leads() = std::move(lead);
      if (!page->next_after.empty()) {
        response->set_next_page_token(absl::WebSafeBase64Escape(page->next_after));
      }
      return absl::OkStatus();
    };
  });
}

grpc::ServerUnaryReactor* LeadBoardService::GetBoard(grpc::CallbackServerContext* ctx,
                                                     const v1::GetBoardRequest* request,
                                                     v1::Board* board) {
  return Unary(ctx, Access::kRead, [=](const Principal& principal) -> absl::StatusOr<Work> {
    store::LeadFilter filter{request->user_id(), request->job_id(), ""};
    absl::Status invalid = CheckIds({{"job_id", filter.job_id}, {"user_id", filter.user_id}});
    if (invalid.ok()) invalid = ScopeUser(principal, &filter.user_id);
    if (!invalid.ok()) return invalid;
    return [=]() -> absl::Status {
      absl::StatusOr<int64_t> revision = context_.repository->CurrentRevision();
      if (!revision.ok()) return revision.status();
      absl::StatusOr<absl::flat_hash_map<std::string, store::StageCount>> counts =
          request->columns_only() ? absl::flat_hash_map<std::string, store::StageCount>()
                                  : context_.repository->CountByStage(filter);
      if (!counts.ok()) return counts.status();
      for (const v1::BoardColumn& column : context_.board->columns()) {
        v1::BoardColumn* out = board->add_columns();
        *out = column;
        auto it = counts->find(column.id());
        if (it != counts->end()) {
          out->set_lead_count(it->second.leads);
          out->set_stalled_count(it->second.stalled);
        }
      }
      board->set_revision(*revision);
      return absl::OkStatus();
    };
  });
}

grpc::ServerUnaryReactor* LeadBoardService::ListJobs(grpc::CallbackServerContext* ctx,
                                                     const v1::ListJobsRequest* request,
                                                     v1::ListJobsResponse* response) {
  return Unary(ctx, Access::kRead, [=](const Principal& principal) -> absl::StatusOr<Work> {
    std::string user_id = request->user_id();
    absl::Status invalid = CheckIds({{"user_id", user_id}});
    if (invalid.ok()) invalid = ScopeUser(principal, &user_id);
    absl::StatusOr<int> page_size = PageSize(request->page_size(), 50, 1000);
    if (invalid.ok()) invalid = page_size.status();
    if (!invalid.ok()) return invalid;
    return [=, size = *page_size]() -> absl::Status {
      absl::StatusOr<store::JobPage> page = context_.repository->ListJobs(
          user_id, request->page_token(), size, *context_.board);
      if (!page.ok()) return page.status();
      for (v1::Job& job : page->jobs) *response->add_jobs() = std::move(job);
      response->set_next_page_token(page->next_token);
      return absl::OkStatus();
    };
  });
}

grpc::ServerUnaryReactor* LeadBoardService::MoveLead(grpc::CallbackServerContext* ctx,
                                                     const v1::MoveLeadRequest* request,
                                                     v1::MoveLeadResponse* response) {
  return Unary(ctx, Access::kMove, [=](const Principal& principal) -> absl::StatusOr<Work> {
    absl::Status invalid = CheckMove(*context_.board, *request);
    if (!invalid.ok()) return invalid;
    engine::Move move;
    move.to_stage = request->to_stage();
    if (request->has_expected_revision()) move.expected_revision = request->expected_revision();
    move.note = request->note();
    // With authentication on, the token's user is who moved it; an
    // operator of every user may name the person.
    move.actor.set_kind(v1::ACTOR_KIND_PERSON);
    move.actor.set_name(!principal.user_id.empty() ? principal.user_id
                        : !request->actor().empty() ? request->actor()
                                                    : "anonymous");
    return [=, move = std::move(move)]() mutable -> absl::Status {
      move.at = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          absl::ToUnixMicros(context_.clock->Now()));
      context_.hub->LocalCommit(true);  // its notification waits for the Publish below
      absl::StatusOr<store::MoveResult> moved = context_.repository->MoveLead(
          request->lead_id(), principal.user_id, move, *context_.engine);
      if (moved.ok() && moved->change) context_.hub->Publish({*moved->change});
      context_.hub->LocalCommit(false);
      if (absl::IsNotFound(moved.status())) {
        return principal.user_id.empty() ? LeadNotFound(request->lead_id())
                                         : NotVisible(request->lead_id());
      }
      if (!moved.ok()) return moved.status();
      response->set_moved(moved->change.has_value());
      *response->mutable_lead() = std::move(moved->lead);
      return absl::OkStatus();
    };
  });
}

grpc::ServerUnaryReactor* LeadBoardService::GetAgentStats(
    grpc::CallbackServerContext* ctx, const v1::GetAgentStatsRequest* request,
    v1::GetAgentStatsResponse* response) {
  return Unary(ctx, Access::kRead, [=](const Principal& principal) -> absl::StatusOr<Work> {
    store::StepFilter filter{request->user_id(), request->job_id(), std::nullopt, std::nullopt};
    absl::Status invalid = CheckIds({{"job_id", filter.job_id}, {"user_id", filter.user_id}});
    if (invalid.ok()) invalid = ScopeUser(principal, &filter.user_id);
    auto time_of = [](const google::protobuf::Timestamp& t) {
      return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
    };
    auto check_time = [&](absl::string_view field, const google::protobuf::Timestamp& t,
                          std::optional<absl::Time>* into) {
      // 1970-01-01 .. 2200-01-01, whole nanoseconds.
      if (t.seconds() < 0 || t.seconds() >= 7258118400 || t.nanos() < 0 ||
          t.nanos() > 999999999) {
        return InvalidFieldError(field, "must be between the years 1970 and 2200");
      }
      *into = time_of(t);
      return absl::OkStatus();
    };
    if (invalid.ok() && request->has_since()) {
      invalid = check_time("since", request->since(), &filter.since);
    }
    if (invalid.ok() && request->has_until()) {
      invalid = check_time("until", request->until(), &filter.until);
    }
    if (invalid.ok() && filter.since && filter.until && *filter.until <= *filter.since) {
      invalid = InvalidFieldError("until", "must be after since");
    }
    if (!invalid.ok()) return invalid;
    return [=]() -> absl::Status {
      absl::StatusOr<v1::GetAgentStatsResponse> stats =
          context_.repository->GetAgentStats(filter);
      if (!stats.ok()) return stats.status();
      *response = *std::move(stats);
      return absl::OkStatus();
    };
  });
}

}  // namespace leadboard::api
