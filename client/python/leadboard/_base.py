"""The options and channel shared by :class:`leadboard.Client` and :class:`leadboard.AsyncClient`."""

from __future__ import annotations

from typing import Any, ClassVar, Optional, Sequence

import grpc

from ._common import RETRYABLE_CODES, RetryPolicy, TimeBound, auth_metadata, channel_options, to_timestamp
from ._proto import leadboard_pb2 as svc
from ._proto import leadboard_pb2_grpc as svc_grpc
from .adapter import EventAdapter, EventContext

__all__ = ["DEFAULT_BATCH_SIZE", "DEFAULT_MAX_BATCH_SECONDS", "MOVE_RETRYABLE_CODES"]

#: Events per IngestEvents stream; also the most a retry re-sends.
DEFAULT_BATCH_SIZE = 500
#: A stream older than this is closed at its next event (keeps summaries timely).
DEFAULT_MAX_BATCH_SECONDS = 60.0

#: Codes on which ``move_lead`` is re-sent: UNAVAILABLE only. A move without
#: ``expected_revision`` is harmless to repeat (a move to the column the lead
#: is in changes nothing), but a repeated conditional move that had landed
#: answers ConflictError about the caller's own move. A timed-out move often
#: landed late, so DEADLINE_EXCEEDED is not retried; an UNAVAILABLE one
#: rarely reached the server.
MOVE_RETRYABLE_CODES = RETRYABLE_CODES - {grpc.StatusCode.DEADLINE_EXCEEDED}


def make_channel(
    target: str,
    tls: bool,
    credentials: Optional[grpc.ChannelCredentials],
    options: Optional[Sequence[tuple[str, Any]]],
    aio: bool = False,
) -> Any:
    """A sync or ``grpc.aio`` channel with the SDK's default options."""
    opts = channel_options(options)
    mod: Any = grpc.aio if aio else grpc
    if credentials is not None or tls:
        return mod.secure_channel(target, credentials or grpc.ssl_channel_credentials(), options=opts)
    return mod.insecure_channel(target, options=opts)


class ClientBase:
    """Options, channel and stub of a client; the sync and async clients add the calls.

    The arguments are documented on :class:`leadboard.Client`.
    """

    #: Whether the channel is a ``grpc.aio`` one (set by the async client).
    _aio: ClassVar[bool] = False

    def __init__(
        self,
        target: str = "127.0.0.1:50051",
        token: Optional[str] = None,
        *,
        tls: bool = False,
        credentials: Optional[grpc.ChannelCredentials] = None,
        user_id: Optional[str] = None,
        job_id: Optional[str] = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_batch_seconds: float = DEFAULT_MAX_BATCH_SECONDS,
        retry: RetryPolicy = RetryPolicy(),
        timeout: Optional[float] = 30.0,
        ingest_timeout: Optional[float] = None,
        channel_options: Optional[Sequence[tuple[str, Any]]] = None,
        channel: Any = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.target = target
        self._own_channel = channel is None
        self._channel = channel or make_channel(target, tls, credentials, channel_options, aio=self._aio)
        self._stub = svc_grpc.LeadBoardStub(self._channel)
        self._metadata = auth_metadata(token)
        self.adapter = EventAdapter(EventContext(job_id=job_id, user_id=user_id))
        self.batch_size = batch_size
        self.max_batch_seconds = max_batch_seconds
        self.retry = retry
        self.timeout = timeout
        self.ingest_timeout = ingest_timeout

    # Requests both clients build the same way.

    @staticmethod
    def _move_request(
        lead_id: str,
        to_stage: str,
        expected_revision: Optional[int],
        note: Optional[str],
        actor: Optional[str],
    ) -> svc.MoveLeadRequest:
        request = svc.MoveLeadRequest(lead_id=lead_id, to_stage=to_stage, note=note or "", actor=actor or "")
        if expected_revision is not None:
            request.expected_revision = int(expected_revision)
        return request

    @staticmethod
    def _watch_request(
        since_revision: int, job_id: str, user_id: str, conflate: bool, catch_up: bool, batch: bool
    ) -> svc.WatchLeadsRequest:
        return svc.WatchLeadsRequest(
            since_revision=since_revision,
            job_id=job_id,
            user_id=user_id,
            conflate=conflate,
            catch_up=catch_up,
            batch=batch,
        )

    @staticmethod
    def _list_leads_request(
        page_token: str, *, stage: str, job_id: str, user_id: str, full: bool, page_size: int, stalled: bool
    ) -> svc.ListLeadsRequest:
        return svc.ListLeadsRequest(
            page_size=page_size,
            page_token=page_token,
            stage=stage,
            job_id=job_id,
            user_id=user_id,
            view=svc.LEAD_VIEW_FULL if full else svc.LEAD_VIEW_UNSPECIFIED,
            stalled=stalled,
        )

    @staticmethod
    def _agent_stats_request(
        job_id: Optional[str], user_id: Optional[str], since: TimeBound, until: TimeBound
    ) -> svc.GetAgentStatsRequest:
        """The request of ``get_agent_stats``; a ``timedelta`` bound is that long before now.

        Raises:
            ValueError, TypeError: a bound that is not a time.
        """
        request = svc.GetAgentStatsRequest(job_id=job_id or "", user_id=user_id or "")
        if since is not None:
            request.since.CopyFrom(to_timestamp(since, "since"))
        if until is not None:
            request.until.CopyFrom(to_timestamp(until, "until"))
        return request
