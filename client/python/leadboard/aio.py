"""The asyncio client (grpc.aio): the same surface as :class:`leadboard.Client`."""

from __future__ import annotations

import asyncio
import time
import warnings
from typing import Any, AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Iterable, Optional, Union

import grpc
import grpc.aio

from ._base import MOVE_RETRYABLE_CODES, ClientBase
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

__all__ = ["AsyncClient"]

# The details grpc.aio gives a write that failed in the local transport.
_LOCAL_WRITE_FAILURE = "Internal error from Core"


async def _aiter(events: Union[AsyncIterable[Any], Iterable[Any]]) -> AsyncGenerator[Any, None]:
    """Iterates a sync or async iterable; closing it closes the caller's async generator."""
    if hasattr(events, "__aiter__"):
        inner = events.__aiter__()  # type: ignore[union-attr]
        try:
            while True:
                try:
                    e = await inner.__anext__()
                except StopAsyncIteration:
                    return
                yield e
        finally:
            aclose = getattr(inner, "aclose", None)
            if aclose is not None:
                await aclose()
    else:
        for e in events:  # type: ignore[union-attr]
            yield e


class AsyncClient(ClientBase):
    """An asyncio connection to a leadboard server.

    Use as ``async with AsyncClient(...) as board:``. Arguments are those of
    :class:`leadboard.Client` (``channel``, if given, must be a
    ``grpc.aio`` channel).
    """

    _aio = True

    async def close(self) -> None:
        """Closes the channel (if the client created it)."""
        if self._own_channel:
            await self._channel.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def report(
        self,
        events: Union[AsyncIterable[Any], Iterable[Any]],
        *,
        job_id: Optional[str] = None,
        user_id: Optional[str] = None,
        lead_id: Optional[str] = None,
        adapter: Optional[EventAdapter] = None,
        raise_on_rejected: bool = True,
    ) -> ReportSummary:
        """Streams events (an async iterable, or a plain one) to the server.

        Each event is written as soon as the pipeline yields it; streams hold
        at most ``batch_size`` events and a stream broken by UNAVAILABLE or
        DEADLINE_EXCEEDED is re-sent whole after a backoff. Returns, and
        raises, as :meth:`leadboard.Client.report` (an exception of the
        pipeline is re-raised once the events before it are stored).
        Cancelling the task cancels the open stream (events already
        committed stay).
        """
        ctx = EventContext.of(None, job_id=job_id, user_id=user_id, lead_id=lead_id)
        use = adapter or self.adapter
        source = _aiter(events)
        summary = ReportSummary()
        done = False
        errors: list[BaseException] = []

        async def pull() -> Optional[event_pb2.PipelineEvent]:
            nonlocal done
            if done:
                return None
            try:
                raw = await source.__anext__()
                return use.adapt(raw, ctx)
            except StopAsyncIteration:
                done = True
                return None
            except Exception as e:  # the pipeline failed: store what came before, then raise
                errors.append(e)
                done = True
                return None

        try:
            await self._report_batches(pull, summary)
        finally:
            await source.aclose()
        if errors:
            raise errors[0]
        if summary.rejected and raise_on_rejected:
            raise RejectedEventsError(summary)
        return summary

    async def _report_batches(self, pull: Any, summary: ReportSummary) -> None:
        offset = 0
        carry: Optional[event_pb2.PipelineEvent] = None
        while True:
            first = carry if carry is not None else await pull()
            carry = None
            if first is None:
                break
            batch = [first]
            started = time.monotonic()
            attempt = 0
            while True:
                call = self._stub.IngestEvents(metadata=self._metadata, timeout=self.ingest_timeout)
                try:
                    for event in batch:
                        await call.write(event)
                    while len(batch) < self.batch_size:
                        pulled = await pull()
                        if pulled is None:
                            break
                        if time.monotonic() - started > self.max_batch_seconds:
                            carry = pulled
                            break
                        batch.append(pulled)
                        await call.write(pulled)
                    await call.done_writing()
                    response = await call
                    break
                except (grpc.aio.AioRpcError, asyncio.InvalidStateError) as e:
                    code = e.code() if isinstance(e, grpc.aio.AioRpcError) else await call.code()
                    if code == grpc.StatusCode.INTERNAL and _LOCAL_WRITE_FAILURE in (
                        (e.details() or "") if isinstance(e, grpc.aio.AioRpcError) else ""
                    ):
                        # grpc.aio reports a write on a broken connection as a
                        # local INTERNAL; the transport, not the server, failed.
                        code = grpc.StatusCode.UNAVAILABLE
                    attempt += 1
                    if code in RETRYABLE_CODES and self.retry.allows(attempt):
                        summary.retries += 1
                        await asyncio.sleep(self.retry.delay(attempt))
                        continue
                    if isinstance(e, grpc.aio.AioRpcError):
                        raise from_rpc_error(e, "IngestEvents") from e
                    try:
                        await call
                    except grpc.aio.AioRpcError as err:
                        raise from_rpc_error(err, "IngestEvents") from err
                    raise
                except BaseException:
                    call.cancel()
                    raise
            summary.add(response, offset)
            offset += len(batch)

    def areport(
        self,
        events: Union[AsyncIterable[Any], Iterable[Any]],
        **kwargs: Any,
    ) -> Awaitable[ReportSummary]:
        """Deprecated alias of :meth:`report` (``await board.report(events)``).

        Emits ``DeprecationWarning``; it will be removed in the next release.
        """
        warnings.warn(
            "AsyncClient.areport() is deprecated; use `await client.report(...)`",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.report(events, **kwargs)

    async def _unary(self, name: str, method: Any, request: Any, retry_on: frozenset = RETRYABLE_CODES) -> Any:
        attempt = 0
        while True:
            try:
                return await method(request, metadata=self._metadata, timeout=self.timeout)
            except grpc.aio.AioRpcError as e:
                attempt += 1
                if e.code() in retry_on and self.retry.allows(attempt):
                    await asyncio.sleep(self.retry.delay(attempt))
                    continue
                raise from_rpc_error(e, name) from e

    async def get_lead(self, lead_id: str) -> lead_pb2.Lead:
        """Returns one lead with its full enrichment, stage history (``history``,
        ``time_in_stage``) and agent timeline (``runs``): see
        :meth:`leadboard.Client.get_lead`. Raises NotFoundError."""
        return await self._unary("GetLead", self._stub.GetLead, svc.GetLeadRequest(lead_id=lead_id))

    async def move_lead(
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
        response = await self._unary("MoveLead", self._stub.MoveLead, request, MOVE_RETRYABLE_CODES)
        return MoveResult(response.lead, response.moved)

    async def get_board(self, *, job_id: str = "", user_id: str = "",
                        columns_only: bool = False) -> board_pb2.Board:
        """Returns the board's columns in order, with lead counts for the filter
        (``columns_only``: the columns alone, counts 0, no lead read)."""
        request = svc.GetBoardRequest(job_id=job_id, user_id=user_id, columns_only=columns_only)
        return await self._unary("GetBoard", self._stub.GetBoard, request)

    async def list_leads(
        self,
        *,
        stage: str = "",
        job_id: str = "",
        user_id: str = "",
        full: bool = False,
        page_size: int = 100,
        stalled: bool = False,
    ) -> AsyncIterator[lead_pb2.Lead]:
        """Iterates every matching lead (ordered by id), page after page.

        ``full`` returns full leads instead of cards; ``stalled`` only the
        stalled leads (see :meth:`leadboard.Client.list_leads`).
        """
        token = ""
        while True:
            page = await self._unary(
                "ListLeads",
                self._stub.ListLeads,
                self._list_leads_request(
                    token, stage=stage, job_id=job_id, user_id=user_id, full=full, page_size=page_size,
                    stalled=stalled,
                ),
            )
            for lead in page.leads:
                yield lead
            token = page.next_page_token
            if not token:
                return

    async def list_jobs(self, *, user_id: str = "", page_size: int = 50) -> AsyncIterator[lead_pb2.Job]:
        """Iterates every job (newest first), page after page."""
        token = ""
        while True:
            page = await self._unary(
                "ListJobs", self._stub.ListJobs,
                svc.ListJobsRequest(page_size=page_size, page_token=token, user_id=user_id),
            )
            for job in page.jobs:
                yield job
            token = page.next_page_token
            if not token:
                return

    async def get_agent_stats(
        self,
        job_id: Optional[str] = None,
        user_id: Optional[str] = None,
        since: TimeBound = None,
        until: TimeBound = None,
    ) -> svc.GetAgentStatsResponse:
        """Per-agent figures over the stored agent steps: see :meth:`leadboard.Client.get_agent_stats`.

        ``since`` and ``until`` take a ``datetime`` (without a zone: UTC), a
        ``timedelta`` (that long before now), an ISO 8601 string or Unix
        seconds. Raises InvalidArgumentError when ``since`` is not before
        ``until``; ValueError or TypeError, before any call, for a bound
        that is not a time.
        """
        request = self._agent_stats_request(job_id, user_id, since, until)
        return await self._unary("GetAgentStats", self._stub.GetAgentStats, request)

    async def watch(
        self,
        since_revision: int = 0,
        job_id: Optional[str] = None,
        user_id: Optional[str] = None,
        *,
        include_progress: bool = False,
        retry: Optional[RetryPolicy] = None,
        state: Optional[WatchState] = None,
        conflate: bool = True,
        catch_up: bool = True,
        batch: bool = True,
    ) -> AsyncIterator[WatchEvent]:
        """Watches the board, resuming across disconnects: see :meth:`leadboard.Client.watch`.

        ``conflate`` (newest change of each lead when behind, never cut off
        as too slow; pass False to get every intermediate change),
        ``catch_up`` (``current`` cards instead of a ``reset`` when the
        revision left the change log) and ``batch`` (messages waiting for
        the watch arrive as one response, fewer writes and frames; unpacked
        here, so the events and resume revision are unchanged) default to
        True, as there.
        Stop by breaking out of the ``async for`` or cancelling the task.
        Pass ``state`` to read the resume bookkeeping while it runs.
        """
        policy = retry or RetryPolicy(max_attempts=0, max_backoff=5.0)
        st = state or WatchState(since_revision)
        failures = 0
        while True:
            call = self._stub.WatchLeads(
                self._watch_request(st.resume_from, job_id or "", user_id or "", conflate, catch_up, batch),
                metadata=self._metadata,
            )
            try:
                async for response in call:
                    failures = 0
                    for message in watch_messages(response):
                        event = WatchEvent.from_response(message)
                        if not st.accept(event):
                            continue
                        if event.kind == "progress" and not include_progress:
                            continue
                        yield event
            except grpc.aio.AioRpcError as e:
                code = e.code()
                if code == grpc.StatusCode.OUT_OF_RANGE:
                    yield st.start_over()
                    continue
                if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
                    st.cut_off += 1
                failures += 1
                if code not in WATCH_RESUME_CODES or not policy.allows(failures):
                    raise from_rpc_error(e, "WatchLeads") from e
            finally:
                call.cancel()
            st.reconnects += 1
            await asyncio.sleep(policy.delay(max(1, failures)))
