"""Watches that ask for batches (WatchLeadsRequest.batch): what waits arrives as one response,
and the SDK unpacks it so its callers see what they saw without batches."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from typing import Any, Callable, Iterator

import grpc
import grpc.aio

import leadboard
from leadboard._common import watch_messages
from leadboard._proto import leadboard_pb2 as svc
from leadboard._proto import leadboard_pb2_grpc

ServerProcess = Any  # the server_factory fixture's product (tests/conftest.py)

T0 = dt.datetime(2026, 10, 1, 9, 0, 0)
# Big enough that a few thousand changes overflow every transport buffer
# between the server and an unread watch, so they wait in the server's queue.
PAD = "x" * 4096
# Far above what the tests queue, so no non-conflating watch is cut off.
QUEUE_LIMIT = "--watch_queue_limit=100000"


def change(revision: int, kind: int = leadboard.ChangeKind.CHANGE_KIND_UPDATED,
           lead_id: str = "L1") -> leadboard.WatchLeadsResponse:
    return leadboard.WatchLeadsResponse(revision=revision, lead_change=leadboard.LeadChange(
        kind=kind, lead=leadboard.Lead(id=lead_id, revision=revision)))


def synced(revision: int) -> leadboard.WatchLeadsResponse:
    return leadboard.WatchLeadsResponse(revision=revision, synced=svc.Synced())


def batch(*messages: leadboard.WatchLeadsResponse) -> leadboard.WatchLeadsResponse:
    response = leadboard.WatchLeadsResponse(revision=messages[-1].revision)
    response.batch.messages.extend(messages)
    return response


def create_leads(client: leadboard.Client, job_id: str, n: int) -> tuple[list[str], int]:
    ids = [f"{job_id}-{i}" for i in range(n)]
    summary = client.report(
        {"event_type": "lead_generated", "job_id": job_id, "user_id": "ana", "lead_id": lead_id,
         "timestamp": (T0 + dt.timedelta(seconds=i)).isoformat(), "lead_data": {"company_name": f"Company {i}"}}
        for i, lead_id in enumerate(ids)
    )
    assert summary.accepted == n
    return ids, summary.last_revision


def report_updates(client: leadboard.Client, job_id: str, ids: list[str], first: int, n: int) -> int:
    """Reports ``n`` padded status updates spread over ``ids``; returns the last revision."""
    summary = client.report(
        {"event_type": "status_update", "job_id": job_id, "user_id": "ana", "lead_id": ids[k % len(ids)],
         "timestamp": (T0 + dt.timedelta(seconds=1000 + k)).isoformat(), "status_message": f"{k:05d} {PAD}"}
        for k in range(first, first + n)
    )
    assert summary.accepted == n
    return summary.last_revision


# -- the helper and the watch loops, without a server


def test_watch_messages_unpacks_a_batch_in_order_and_passes_others_through() -> None:
    inner = [change(5, leadboard.ChangeKind.CHANGE_KIND_CREATED), change(6), synced(6)]
    unpacked = list(watch_messages(batch(*inner)))
    assert unpacked == inner
    assert [m.WhichOneof("change") for m in unpacked] == ["lead_change", "lead_change", "synced"]
    single = change(7)
    assert list(watch_messages(single)) == [single] and watch_messages(single)[0] is single
    assert list(watch_messages(synced(7))) == [synced(7)]
    # Each inner message moves the resume point, as it would have on its own.
    state = leadboard.WatchState(4)
    resumes = []
    for message in watch_messages(batch(*inner)):
        assert state.accept(leadboard.WatchEvent.from_response(message))
        resumes.append(state.resume_from)
    assert resumes == [5, 6, 6]


class FakeUnavailable(grpc.RpcError):
    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNAVAILABLE


class FakeCall:
    """A sync WatchLeads call that plays ``responses`` then raises UNAVAILABLE."""

    def __init__(self, responses: list[leadboard.WatchLeadsResponse]) -> None:
        self._responses = responses

    def __iter__(self) -> Iterator[leadboard.WatchLeadsResponse]:
        yield from self._responses
        raise FakeUnavailable()

    def cancel(self) -> None:
        pass


class FakeStub:
    """Plays one scripted stream per connect and keeps the requests."""

    def __init__(self, streams: list[list[leadboard.WatchLeadsResponse]], call: Callable[[list], Any]) -> None:
        self.streams = list(streams)
        self.requests: list[leadboard.WatchLeadsRequest] = []
        self._call = call

    def WatchLeads(self, request: leadboard.WatchLeadsRequest, **kwargs: Any) -> Any:
        self.requests.append(request)
        return self._call(self.streams.pop(0) if self.streams else [])


# A batch, a single change, then (after a reconnect) a batch ending in synced.
SCRIPT = [
    [batch(change(5, leadboard.ChangeKind.CHANGE_KIND_CREATED), change(6), change(7)), change(8)],
    [batch(change(9), synced(9))],
]
EXPECTED = [("created", 5), ("updated", 6), ("updated", 7), ("updated", 8), ("updated", 9), ("synced", 9)]
FAST = leadboard.RetryPolicy(max_attempts=0, initial_backoff=0.01, max_backoff=0.01)


def test_the_sync_watch_unpacks_batches_and_resumes_after_each_inner_message() -> None:
    with leadboard.Client("127.0.0.1:1") as client:
        client._stub = stub = FakeStub(SCRIPT, FakeCall)
        watch = client.watch(since_revision=4, retry=FAST)
        events = iter(watch)
        first = next(events)
        assert (first.kind, first.revision, watch.last_revision) == ("created", 5, 5)  # not the batch's 7
        seen = [first] + [next(events) for _ in EXPECTED[1:]]
        watch.cancel()
    assert [(e.kind, e.revision) for e in seen] == EXPECTED
    assert seen[1].response == change(6)  # the inner message, as if sent alone
    assert [r.since_revision for r in stub.requests[:2]] == [4, 8]
    assert all(r.batch for r in stub.requests)
    assert watch.state.duplicates_skipped == 0 and watch.last_revision == 9


def test_a_cancelled_sync_watch_stops_in_the_middle_of_a_batch() -> None:
    with leadboard.Client("127.0.0.1:1") as client:
        client._stub = FakeStub(SCRIPT, FakeCall)
        watch = client.watch(since_revision=4, retry=FAST)
        events = iter(watch)
        assert next(events).revision == 5
        watch.cancel()
        assert list(events) == []  # not the batch's 6 and 7
    assert watch.last_revision == 5


class FakeAioCall:
    """An async WatchLeads call that plays ``responses`` then raises UNAVAILABLE."""

    def __init__(self, responses: list[leadboard.WatchLeadsResponse]) -> None:
        self._responses = responses

    async def _play(self) -> Any:
        for response in self._responses:
            yield response
        raise grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata())

    def __aiter__(self) -> Any:
        return self._play()

    def cancel(self) -> None:
        pass


def test_the_async_watch_unpacks_batches_and_resumes_after_each_inner_message() -> None:
    async def scenario() -> tuple[list[leadboard.WatchEvent], FakeStub, leadboard.WatchState]:
        async with leadboard.AsyncClient("127.0.0.1:1") as client:
            client._stub = stub = FakeStub(SCRIPT, FakeAioCall)
            state = leadboard.WatchState(4)
            seen: list[leadboard.WatchEvent] = []
            async for event in client.watch(retry=FAST, state=state):
                seen.append(event)
                if len(seen) == 1:
                    assert state.resume_from == 5  # not the batch's 7
                if len(seen) == len(EXPECTED):
                    break
            return seen, stub, state

    seen, stub, state = asyncio.run(scenario())
    assert [(e.kind, e.revision) for e in seen] == EXPECTED
    assert [r.since_revision for r in stub.requests[:2]] == [4, 8]
    assert all(r.batch for r in stub.requests)
    assert state.duplicates_skipped == 0 and state.resume_from == 9


# -- against a real server


def read_until(call: Any, done: Callable[[leadboard.WatchLeadsResponse], bool],
               responses: list[leadboard.WatchLeadsResponse], pause: float = 0.0) -> None:
    """Appends the call's responses to ``responses`` until ``done`` says so, sleeping ``pause`` after each."""
    for response in call:
        responses.append(response)
        if done(response):
            return
        time.sleep(pause)
    raise AssertionError("the watch ended early")


def flatten(responses: list[leadboard.WatchLeadsResponse]) -> list[leadboard.WatchLeadsResponse]:
    return [m for r in responses for m in (r.batch.messages if r.WhichOneof("change") == "batch" else [r])]


def lead_revisions(responses: list[leadboard.WatchLeadsResponse]) -> list[int]:
    return [m.revision for m in flatten(responses) if m.WhichOneof("change") == "lead_change"]


def test_a_slow_watcher_gets_batches_holding_every_change_in_order(server_factory) -> None:
    srv = server_factory(QUEUE_LIMIT)
    job_id = "job-batch"
    updates = 3000
    with leadboard.Client(srv.target) as client, grpc.insecure_channel(
        srv.target, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    ) as channel:
        ids, created = create_leads(client, job_id, 5)
        stub = leadboard_pb2_grpc.LeadBoardStub(channel)
        calls = {
            flag: stub.WatchLeads(leadboard.WatchLeadsRequest(job_id=job_id, conflate=False, batch=flag), timeout=120)
            for flag in (True, False)
        }
        received: dict[bool, list[leadboard.WatchLeadsResponse]] = {True: [], False: []}
        for flag, call in calls.items():
            read_until(call, lambda r: any(m.WhichOneof("change") == "synced" for m in flatten([r])),
                       received[flag])
            assert sum(1 for m in flatten(received[flag]) if m.WhichOneof("change") == "lead_change") == len(ids)
            received[flag].clear()

        # Ingest while the batching watcher reads slowly and the other not at all.
        last: list[int] = []
        ingest = threading.Thread(target=lambda: last.append(report_updates(client, job_id, ids, 0, updates)))
        ingest.start()
        reached = lambda r: r.revision >= created + updates  # noqa: E731
        read_until(calls[True], reached, received[True], pause=0.02)
        ingest.join(60)
        assert last == [created + updates]
        read_until(calls[False], reached, received[False])
        for call in calls.values():
            call.cancel()

    batches = [r for r in received[True] if r.WhichOneof("change") == "batch"]
    assert batches, "a watcher that fell behind got no batch"
    assert not any(r.WhichOneof("change") == "batch" for r in received[False])
    for r in batches:
        assert len(r.batch.messages) >= 1 and r.revision == r.batch.messages[-1].revision
        assert not any(m.WhichOneof("change") == "batch" for m in r.batch.messages), "a nested batch"
    # Not conflating: every change arrives, in order, batched or not.
    assert lead_revisions(received[True]) == lead_revisions(received[False]) == list(
        range(created + 1, created + updates + 1))


class RecordingStub:
    """The client's stub, with each WatchLeads request and response kept (sync or async calls)."""

    def __init__(self, stub: Any) -> None:
        self._stub = stub
        self.requests: list[leadboard.WatchLeadsRequest] = []
        self.responses: list[leadboard.WatchLeadsResponse] = []

    def WatchLeads(self, request: leadboard.WatchLeadsRequest, **kwargs: Any) -> Any:
        self.requests.append(request)
        return RecordingCall(self._stub.WatchLeads(request, **kwargs), self.responses)


class RecordingCall:
    def __init__(self, call: Any, responses: list[leadboard.WatchLeadsResponse]) -> None:
        self._call = call
        self._responses = responses

    def __iter__(self) -> Iterator[leadboard.WatchLeadsResponse]:
        for response in self._call:
            self._responses.append(response)
            yield response

    async def _aiter(self) -> Any:
        async for response in self._call:
            self._responses.append(response)
            yield response

    def __aiter__(self) -> Any:
        return self._aiter()

    def cancel(self) -> None:
        self._call.cancel()


def sdk_events(client: leadboard.Client, job_id: str, since: int, final: int,
               **options: Any) -> tuple[list[leadboard.WatchEvent], RecordingStub]:
    """The sync watch's events from ``since`` until it has delivered ``final``."""
    client._stub = recorder = RecordingStub(client._stub)
    watch = client.watch(since_revision=since, job_id=job_id, **options)
    events: list[leadboard.WatchEvent] = []
    deadline = time.monotonic() + 60
    for event in watch:
        events.append(event)
        if watch.last_revision >= final:
            break
        assert time.monotonic() < deadline, (options, watch.last_revision, final)
    watch.cancel()
    client._stub = recorder._stub
    assert watch.state.cut_off == 0 and watch.state.resets == 0 and watch.state.duplicates_skipped == 0
    return events, recorder


def async_sdk_events(target: str, job_id: str, since: int, final: int) -> tuple[list[leadboard.WatchEvent],
                                                                                  RecordingStub]:
    """The async watch's events (all defaults) from ``since`` until it has delivered ``final``."""

    async def collect() -> tuple[list[leadboard.WatchEvent], RecordingStub]:
        async with leadboard.AsyncClient(target) as aclient:
            aclient._stub = recorder = RecordingStub(aclient._stub)
            state = leadboard.WatchState(since)
            events: list[leadboard.WatchEvent] = []
            async for event in aclient.watch(job_id=job_id, state=state):
                events.append(event)
                if state.resume_from >= final:
                    break
            return events, recorder

    return asyncio.run(asyncio.wait_for(collect(), 60))


def described(events: list[leadboard.WatchEvent]) -> list[tuple[str, int, Any]]:
    """What a caller sees of each event: its kind, revision and message."""
    return [(e.kind, e.revision, e.response) for e in events]


def test_the_sdk_watch_batches_by_default_and_yields_what_it_did_without(server_factory) -> None:
    srv = server_factory(QUEUE_LIMIT)
    job_id = "job-sdk-batch"
    with leadboard.Client(srv.target) as client:
        ids, created = create_leads(client, job_id, 5)
        final = report_updates(client, job_id, ids, 0, 2000)
        # A replay of 2,000 changes: what waits goes out in batches.
        batched, batched_rec = sdk_events(client, job_id, created, final)
        single, single_rec = sdk_events(client, job_id, created, final, batch=False)
        async_batched, async_rec = async_sdk_events(srv.target, job_id, created, final)

    assert all(r.batch for r in batched_rec.requests + async_rec.requests)
    assert not any(r.batch for r in single_rec.requests)
    for recorder in (batched_rec, async_rec):
        assert any(r.WhichOneof("change") == "batch" for r in recorder.responses), "no batch to unpack"
    assert not any(r.WhichOneof("change") == "batch" for r in single_rec.responses)
    assert not any(e.kind == "batch" for e in batched + async_batched)
    expected = [e.revision for e in single if e.kind == "updated"]
    assert expected == list(range(created + 1, final + 1))
    assert described(batched) == described(single)
    assert described(async_batched) == described(single)
