"""leadboard: the Python worker SDK of the leadboard real-time lead board.

Report what your pipeline's agents do, and watch the board::

    import leadboard

    with leadboard.Client("127.0.0.1:50051", token="...", user_id="ana") as board:
        summary = board.report(pipeline_events)        # dicts or PipelineEvent
        for change in board.watch():                    # resumes on its own
            print(change.kind, change.lead.id, change.lead.stage)

A person moves a card with ``board.move_lead(lead_id, "negotiating",
expected_revision=card.revision, note="...", actor="Ana")``; a stale
revision raises :class:`ConflictError` saying where the lead is and who put
it there. ``board.get_lead(id).runs`` is the lead's agent timeline
(:mod:`leadboard.timeline`), ``board.get_agent_stats(job_id=...)`` each
agent's counts and durations, ``board.list_leads(stalled=True)`` the leads
whose agents went silent.

For asyncio pipelines use :class:`AsyncClient` and ``await board.report(agen)``.
"""

from ._common import DEFAULT_CHANNEL_OPTIONS, MoveResult, RetryPolicy, WatchEvent, WatchState
from ._proto.board_pb2 import Board, BoardColumn, ColumnRole
from ._proto.enrichment_pb2 import EnrichmentPackage, QualificationTier, UrgencyLevel
from ._proto.event_pb2 import EventType, IngestSummary, PipelineEvent, RejectedEvent
from ._proto.lead_pb2 import (
    Actor,
    ActorKind,
    AgentRun,
    AgentStep,
    Job,
    JobStatus,
    Lead,
    LeadIssue,
    LeadProfile,
    LeadStatus,
    StageTime,
    StageVisit,
    StepStatus,
)
from ._proto.leadboard_pb2 import (
    AgentStats,
    ChangeKind,
    GetAgentStatsRequest,
    GetAgentStatsResponse,
    LeadChange,
    MoveLeadRequest,
    MoveLeadResponse,
    WatchLeadsRequest,
    WatchLeadsResponse,
)
from .adapter import (
    EventAdapter,
    EventContext,
    adapt,
    derive_event_id,
    parse_timestamp,
    qualification_tier,
    urgency_level,
)
from .aio import AsyncClient
from .client import Client, LeadWatch
from .errors import (
    ERROR_DOMAIN,
    REASON_TO_ERROR,
    STATUS_TO_ERROR,
    AbortedError,
    AlreadyExistsError,
    CancelledError,
    ConflictError,
    DeadlineExceededError,
    FailedPreconditionError,
    FieldViolation,
    InternalError,
    InvalidArgumentError,
    LeadboardError,
    NotFoundError,
    OutOfRangeError,
    PermissionDeniedError,
    RejectedEventsError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
    from_rpc_error,
)
from .summary import Rejection, ReportSummary
from .timeline import STEP_STATUS_NAMES, current_run, stalled_since, step_duration, step_status

__version__ = "0.1.0"

__all__ = [
    "AbortedError", "Actor", "ActorKind", "AgentRun", "AgentStats", "AgentStep", "AlreadyExistsError",
    "AsyncClient", "Board", "BoardColumn", "CancelledError", "ChangeKind", "Client", "ColumnRole", "ConflictError",
    "DEFAULT_CHANNEL_OPTIONS", "DeadlineExceededError", "ERROR_DOMAIN", "EnrichmentPackage", "EventAdapter",
    "EventContext", "EventType", "FailedPreconditionError", "FieldViolation", "GetAgentStatsRequest",
    "GetAgentStatsResponse", "IngestSummary", "InternalError", "InvalidArgumentError", "Job", "JobStatus", "Lead",
    "LeadChange", "LeadIssue", "LeadProfile", "LeadStatus", "LeadWatch", "LeadboardError", "MoveLeadRequest",
    "MoveLeadResponse", "MoveResult", "NotFoundError", "OutOfRangeError", "PermissionDeniedError", "PipelineEvent",
    "QualificationTier", "REASON_TO_ERROR", "RejectedEvent", "RejectedEventsError", "Rejection", "ReportSummary",
    "ResourceExhaustedError", "RetryPolicy", "STATUS_TO_ERROR", "STEP_STATUS_NAMES", "StageTime", "StageVisit",
    "StepStatus", "UnauthenticatedError", "UnavailableError", "UrgencyLevel", "WatchEvent", "WatchLeadsRequest",
    "WatchLeadsResponse", "WatchState", "adapt", "current_run", "derive_event_id", "from_rpc_error",
    "parse_timestamp", "qualification_tier", "stalled_since", "step_duration", "step_status", "urgency_level"
]
