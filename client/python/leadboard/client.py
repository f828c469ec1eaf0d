"""The synchronous client: report events, watch the board, read leads and jobs."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterable, Iterator, Optional, TypeVar

import grpc

from ._base import DEFAULT_BATCH_SIZE, DEFAULT_MAX_BATCH_SECONDS, MOVE_RETRYABLE_CODES, ClientBase
from ._common import (
    RETRYABLE_CODES,
    WATCH_RESUME_CODES,
    MoveResult,
    RetryPolicy,
    TimeBound,
    WatchEvent,
    WatchState,
    watch_messages,
)
from ._proto import board_pb2, event_pb2, lead_pb2
from ._proto import leadboard_pb2 as svc
from .adapter import EventAdapter, EventContext
from .errors import RejectedEventsError, from_rpc_error
from .summary import ReportSummary

__all__ = ["Client", "LeadWatch", "DEFAULT_BATCH_SIZE", "DEFAULT_MAX_BATCH_SECONDS"]

T = TypeVar("T")


class _BatchSource:
    """Pulls events from the caller's iterable into bounded batches.

    Thread-safe: gRPC consumes request iterators on its own thread, and a
    broken stream's consumer may still be blocked in the caller's iterator
    when the retry starts.
    """

    def __init__(self, events: Iterable[Any], convert: Callable[[Any], event_pb2.PipelineEvent]) -> None:
        self._it = iter(events)
        self._convert = convert
        self.lock = threading.Lock()
        self.exhausted = False
        self.error: Optional[BaseException] = None
        self.carry: Optional[event_pb2.PipelineEvent] = None

    def pull_locked(self) -> Optional[event_pb2.PipelineEvent]:
        """The next converted event, or None at the end or after an error."""
        if self.carry is not None:
            event, self.carry = self.carry, None
            return event
        if self.exhausted or self.error is not None:
            return None
        try:
            raw = next(self._it)
        except StopIteration:
            self.exhausted = True
            return None
        except BaseException as e:  # re-raised in the caller's thread
            self.error = e
            return None
        try:
            return self._convert(raw)
        except BaseException as e:
            self.error = e
            return None


class Client(ClientBase):
    """A connection to a leadboard server.

    Use as a context manager (``with Client("host:50051", token=...) as c:``)
    or call :meth:`close`. Thread-safe except for :meth:`report` calls that
    share the client's adapter: concurrent reports should pass their own
    ``adapter``.

    Args:
        target: ``host:port`` of the server.
        token: bearer token, sent as ``authorization: Bearer <token>``.
        tls: use TLS with the system's root certificates.
        credentials: explicit channel credentials (implies TLS).
        user_id: default ``user_id`` for events that lack one.
        job_id: default ``job_id`` for events that lack one.
        batch_size: events per ingest stream (the most a retry re-sends).
        max_batch_seconds: a stream older than this is closed at its next event.
        retry: backoff policy for UNAVAILABLE / DEADLINE_EXCEEDED.
        timeout: deadline in seconds for unary calls (None: no deadline).
        ingest_timeout: deadline in seconds for each ingest stream (None: none).
        channel_options: extra gRPC channel options (override the defaults).
        channel: an existing channel to use instead of creating one (not
            closed by :meth:`close`).
    """

    # -- lifecycle

    def close(self) -> None:
        """Closes the channel (if the client created it)."""
        if self._own_channel:
            self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- ingest

    def report(
        self,
        events: Iterable[Any],
        *,
        job_id: Optional[str] = None,
        user_id: Optional[str] = None,
        lead_id: Optional[str] = None,
        adapter: Optional[EventAdapter] = None,
        raise_on_rejected: bool = True,
    ) -> ReportSummary:
        """Streams events to the server and returns the combined summary.

        ``events`` may be event dicts (adapted with the client's
        :class:`EventAdapter`, or ``adapter``) or ``PipelineEvent`` messages;
        it is consumed lazily, so a generator that yields as the pipeline runs
        is reported as it runs. Events go out in streams of at most
        ``batch_size`` events; a stream broken by UNAVAILABLE or
        DEADLINE_EXCEEDED is re-sent whole after a backoff (safe: event ids
        make re-sent events duplicates), so memory stays bounded by one batch.

        Returns:
            The summary over all batches. Rejection indices count from 0 over
            ``events``.

        Raises:
            RejectedEventsError: some events were rejected (the good ones
                were stored); carries the summary and the rejections.
            UnavailableError, DeadlineExceededError: retries ran out.
            LeadboardError: any other gRPC failure, per the status table.
            Whatever ``events`` raised while being iterated, after the
            events before it were stored.
        """
        ctx = EventContext.of(None, job_id=job_id, user_id=user_id, lead_id=lead_id)
        use = adapter or self.adapter
        convert = lambda raw: use.adapt(raw, ctx)  # noqa: E731
        source = _BatchSource(events, convert)
        summary = ReportSummary()
        offset = 0
        while True:
            with source.lock:
                first = source.pull_locked()
            if first is None:
                break
            batch: list[event_pb2.PipelineEvent] = [first]
            started = time.monotonic()
            attempt = 0
            while True:
                generation = attempt

                def requests(generation: int = generation) -> Iterator[event_pb2.PipelineEvent]:
                    i = 0
                    while True:
                        with source.lock:
                            if attempt_box[0] != generation:
                                return
                            if i < len(batch):
                                msg = batch[i]
                            elif len(batch) >= self.batch_size:
                                return
                            else:
                                pulled = source.pull_locked()
                                if pulled is None:
                                    return
                                if time.monotonic() - started > self.max_batch_seconds:
                                    source.carry = pulled
                                    return
                                batch.append(pulled)
                                msg = pulled
                        i += 1
                        yield msg

                attempt_box = [generation]
                try:
                    response = self._stub.IngestEvents(
                        requests(), metadata=self._metadata, timeout=self.ingest_timeout
                    )
                    break
                except grpc.RpcError as e:
                    with source.lock:
                        attempt_box[0] = -1  # stop the broken stream's consumer
                    attempt += 1
                    if e.code() in RETRYABLE_CODES and self.retry.allows(attempt):
                        summary.retries += 1
                        time.sleep(self.retry.delay(attempt))
                        continue
                    raise from_rpc_error(e, "IngestEvents") from e
            summary.add(response, offset)
            offset += len(batch)
            if source.error is not None:
                break
        if source.error is not None:
            raise source.error
        if summary.rejected and raise_on_rejected:
            raise RejectedEventsError(summary)
        return summary

    # -- reads

    def _unary(
        self, name: str, method: Callable[..., T], request: Any, retry_on: frozenset = RETRYABLE_CODES
    ) -> T:
        attempt = 0
        while True:
            try:
                return method(request, metadata=self._metadata, timeout=self.timeout)
            except grpc.RpcError as e:
                attempt += 1
                if e.code() in retry_on and self.retry.allows(attempt):
                    time.sleep(self.retry.delay(attempt))
                    continue
                raise from_rpc_error(e, name) from e

    def get_lead(self, lead_id: str) -> lead_pb2.Lead:
        """Returns one lead with its full enrichment package, stage history and agent timeline.

        ``lead.history`` lists every stage the lead has been in, oldest first
        (``StageVisit``: stage, entered_at, left_at, entered_by, note,
        revision, duration); ``lead.time_in_stage`` adds the stays up per
        column, in board order (``StageTime``: stage, total, visits).
        ``lead.runs`` lists each enrichment run, oldest first, the current
        one last (``AgentRun``: started_at, ended_at, outcome, truncated,
        steps); each ``AgentStep`` is one attempt of one agent (agent,
        agent_name, attempt, started_at, ended_at, duration, status, error,
        tool_calls, wait_before): see :mod:`leadboard.timeline` for helpers.
        ``lead.stalled_since`` is set while the lead is stalled.

        Raises:
            NotFoundError: no such lead.
        """
        return self._unary("GetLead", self._stub.GetLead, svc.GetLeadRequest(lead_id=lead_id))

    def move_lead(
        self,
        lead_id: str,
        to_stage: str,
        expected_revision: Optional[int] = None,
        note: Optional[str] = None,
        actor: Optional[str] = None,
    ) -> MoveResult:
        """Moves a lead to a people's column (or back to the success column), as a person.

        Durable before it returns; watchers receive a ``moved`` change.
        Moving a lead to the column it is in changes nothing (``moved`` is
        False and the revision stays).

        Args:
            lead_id: the lead.
            to_stage: the column id, e.g. ``"reviewing"``, ``"negotiating"``
                (a column whose ``accepts_moves`` is set on the board).
            expected_revision: move only if the lead's revision is still this
                one (compare and swap); pass the revision of the card the
                person saw.
            note: why, in the person's words; kept in the lead's history.
            actor: the person's name, recorded when the server runs without
                authentication (with it, the token's user is recorded).

        Returns:
            ``MoveResult(lead, moved)``; ``result.revision`` is the lead's
            revision after the move.

        Raises:
            ConflictError: ``expected_revision`` is stale; carries
                ``current_stage``, ``current_revision``, ``actor`` and
                ``actor_kind`` of the lead now.
            InvalidArgumentError: unknown column, or one only the pipeline
                fills (``field_violations`` name ``to_stage``).
            FailedPreconditionError: the lead is mid-run.
            NotFoundError: no such lead.
            PermissionDeniedError: a worker token, or another user's lead.
        """
        request = self._move_request(lead_id, to_stage, expected_revision, note, actor)
        response = self._unary("MoveLead", self._stub.MoveLead, request, MOVE_RETRYABLE_CODES)
        return MoveResult(response.lead, response.moved)

    def list_leads(
        self,
        *,
        stage: str = "",
        job_id: str = "",
        user_id: str = "",
        full: bool = False,
        page_size: int = 100,
        stalled: bool = False,
    ) -> Iterator[lead_pb2.Lead]:
        """Iterates every matching lead (ordered by id), fetching page after page.

        Args:
            full: return full leads with their enrichment instead of cards.
            stalled: only stalled leads: mid-run, with no event for their
                column's stall limit (``lead.stalled_since`` is set).
        """
        token = ""
        while True:
            request = self._list_leads_request(
                token, stage=stage, job_id=job_id, user_id=user_id, full=full, page_size=page_size,
                stalled=stalled,
            )
            page = self._unary("ListLeads", self._stub.ListLeads, request)
            yield from page.leads
            token = page.next_page_token
            if not token:
                return

    def get_board(self, *, job_id: str = "", user_id: str = "",
                  columns_only: bool = False) -> board_pb2.Board:
        """Returns the board's columns in order, with lead counts for the filter
        (``columns_only``: the columns alone, counts 0, no lead read)."""
        request = svc.GetBoardRequest(job_id=job_id, user_id=user_id, columns_only=columns_only)
        return self._unary("GetBoard", self._stub.GetBoard, request)

    def list_jobs(self, *, user_id: str = "", page_size: int = 50) -> Iterator[lead_pb2.Job]:
        """Iterates every job (newest first), fetching page after page.

        A running job with no event for the server's ``--stall_after`` has
        ``stalled_since`` set.
        """
        token = ""
        while True:
            page = self._unary(
                "ListJobs",
                self._stub.ListJobs,
                svc.ListJobsRequest(page_size=page_size, page_token=token, user_id=user_id),
            )
            yield from page.jobs
            token = page.next_page_token
            if not token:
                return

    def get_agent_stats(
        self,
        job_id: Optional[str] = None,
        user_id: Optional[str] = None,
        since: TimeBound = None,
        until: TimeBound = None,
    ) -> svc.GetAgentStatsResponse:
        """Per-agent figures over the stored agent steps: counts, failures, retries, durations.

        Every attempt of an agent in a run is a step (see ``lead.runs``).
        ``response.agents`` has one ``AgentStats`` per agent with matching
        steps, by name: ``agent`` (the normalized name, e.g.
        ``"leadqualification"``), ``steps``, ``succeeded``, ``failed``,
        ``unfinished`` (their run ended without them), ``running`` (now),
        ``failure_rate`` (failed / ended, 0 when none ended), ``retries``
        (attempts after an agent's first in the same run), and the
        durations of the ended steps ``p50``, ``p95`` (within 1 %), ``max``
        and ``total`` (``google.protobuf.Duration``: ``.ToTimedelta()``).
        ``response.steps`` counts every matching step.

        Args:
            job_id: only this job's steps.
            user_id: only this user's leads' steps.
            since: only steps that started at or after this time.
            until: only steps that started before this time. Each bound is
                a ``datetime`` (without a zone: UTC), a ``timedelta`` (that
                long before now: ``since=timedelta(hours=1)`` is the last
                hour), an ISO 8601 string or Unix seconds.

        Raises:
            InvalidArgumentError: ``since`` is not before ``until``, or an id
                is too long.
            PermissionDeniedError: a worker token, or another user's steps.
            ValueError, TypeError: a bound that is not a time (before any call).
        """
        request = self._agent_stats_request(job_id, user_id, since, until)
        return self._unary("GetAgentStats", self._stub.GetAgentStats, request)

    # -- watch

    def watch(
        self,
        since_revision: int = 0,
        job_id: Optional[str] = None,
        user_id: Optional[str] = None,
        *,
        include_progress: bool = False,
        retry: Optional[RetryPolicy] = None,
        conflate: bool = True,
        catch_up: bool = True,
        batch: bool = True,
    ) -> "LeadWatch":
        """Watches the board: an iterable of :class:`WatchEvent` that survives disconnects.

        ``since_revision=0`` starts with a snapshot of every matching lead,
        then ``synced``, then live changes; ``R > 0`` replays every change
        after R first. On UNAVAILABLE and other transient ends the watch
        reconnects with backoff from the last revision it delivered (no gap,
        no repeat). When that revision is older than the server's change
        log, the server sends a ``current`` event (the lead's card now) for
        every lead changed since, then ``synced``; with ``catch_up=False``
        (or a server without catch-up) it answers OUT_OF_RANGE instead, and
        the watch yields a ``reset`` event and starts over from a snapshot.
        Call :meth:`LeadWatch.cancel` (from any thread) or break out of the
        loop to stop.

        Args:
            retry: backoff between reconnects; ``max_attempts`` counts
                consecutive failed connects (default: retry forever).
            conflate: when the watch falls behind, receive only the newest
                change of each lead (revisions then skip, still in order),
                and never be cut off as too slow. A program that needs every
                intermediate change passes ``conflate=False``: a slow one is
                then cut off (RESOURCE_EXHAUSTED) and resumes from its last
                revision (counted in ``state.cut_off``).
            catch_up: resume a watch whose revision left the change log with
                ``current`` cards of the changed leads instead of a
                ``reset`` and a full snapshot.
            batch: when several messages wait for the watch (it fell
                behind, or a snapshot or replay is being sent), receive them
                as one response: far fewer writes for the server and frames
                for the network. The watch unpacks them, so the events, their
                order and the resume revision are the same as without it; a
                server without batches sends them one by one.
        """
        return LeadWatch(
            self,
            since_revision,
            job_id or "",
            user_id or "",
            include_progress,
            retry or RetryPolicy(max_attempts=0, max_backoff=5.0),
            conflate=conflate,
            catch_up=catch_up,
            batch=batch,
        )


class LeadWatch:
    """A resumable watch; iterate it for :class:`WatchEvent` items.

    Attributes:
        state: resume bookkeeping (``resume_from``, ``reconnects``,
            ``resets``, ``cut_off``, ``duplicates_skipped``).
    """

    def __init__(
        self,
        client: Client,
        since_revision: int,
        job_id: str,
        user_id: str,
        include_progress: bool,
        retry: RetryPolicy,
        *,
        conflate: bool = True,
        catch_up: bool = True,
        batch: bool = True,
    ) -> None:
        self._client = client
        self._conflate = conflate
        self._catch_up = catch_up
        self._batch = batch
        self._job_id = job_id
        self._user_id = user_id
        self._include_progress = include_progress
        self._retry = retry
        self.state = WatchState(since_revision)
        self._cancelled = threading.Event()
        self._call: Any = None
        self._lock = threading.Lock()

    @property
    def last_revision(self) -> int:
        """The revision to resume from: the last change, synced or progress seen."""
        return self.state.resume_from

    def cancel(self) -> None:
        """Stops the watch; the iterating thread's loop ends. Thread-safe."""
        self._cancelled.set()
        with self._lock:
            if self._call is not None:
                self._call.cancel()

    def __iter__(self) -> Iterator[WatchEvent]:
        return self._run()

    def _run(self) -> Iterator[WatchEvent]:
        failures = 0
        stub = self._client._stub
        try:
            while not self._cancelled.is_set():
                request = self._client._watch_request(
                    self.state.resume_from, self._job_id, self._user_id, self._conflate, self._catch_up,
                    self._batch,
                )
                with self._lock:
                    if self._cancelled.is_set():
                        return
                    call = stub.WatchLeads(request, metadata=self._client._metadata)
                    self._call = call
                try:
                    for response in call:
                        failures = 0
                        for message in watch_messages(response):
                            # A batch in hand outlives the cancelled call: stop
                            # here, as the next read of a single message would.
                            if self._cancelled.is_set():
                                return
                            event = WatchEvent.from_response(message)
                            if not self.state.accept(event):
                                continue
                            if event.kind == "progress" and not self._include_progress:
                                continue
                            yield event
                    # The server ended the stream cleanly (e.g. shutting down): resume.
                except grpc.RpcError as e:
                    if self._cancelled.is_set():
                        return
                    code = e.code()
                    if code == grpc.StatusCode.OUT_OF_RANGE:
                        yield self.state.start_over()
                        continue
                    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
                        self.state.cut_off += 1
                    if code not in WATCH_RESUME_CODES:
                        raise from_rpc_error(e, "WatchLeads") from e
                    failures += 1
                    if not self._retry.allows(failures):
                        raise from_rpc_error(e, "WatchLeads") from e
                self.state.reconnects += 1
                if self._cancelled.wait(self._retry.delay(max(1, failures))):
                    return
        finally:
            with self._lock:
                if self._call is not None:
                    self._call.cancel()
                    self._call = None
