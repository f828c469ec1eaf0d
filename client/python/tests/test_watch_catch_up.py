"""Watches that fall behind (conflation) or resume past the change log (catch-up), on a real server."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any, Callable, Iterator

import leadboard

ServerProcess = Any  # the server_factory fixture's product (tests/conftest.py)

T0 = dt.datetime(2026, 9, 1, 9, 0, 0)


def at(seconds: float) -> str:
    return (T0 + dt.timedelta(seconds=seconds)).isoformat()


def create_leads(client: leadboard.Client, job_id: str, n: int) -> tuple[list[str], int]:
    ids = [f"{job_id}-{i}" for i in range(n)]
    summary = client.report(
        {"event_type": "lead_generated", "job_id": job_id, "user_id": "ana", "lead_id": lead_id,
         "timestamp": at(i), "lead_data": {"company_name": f"Company {i}"}}
        for i, lead_id in enumerate(ids)
    )
    assert summary.accepted == n
    return ids, summary.last_revision


def status(job_id: str, lead_id: str, t: float, message: str) -> dict[str, Any]:
    return {"event_type": "status_update", "job_id": job_id, "user_id": "ana", "lead_id": lead_id,
            "timestamp": at(t), "status_message": message}


def first_kind(client: leadboard.Client, since: int) -> str:
    """The first event of a plain watch (no conflation, no catch-up) from ``since``."""
    watch = client.watch(since_revision=since, conflate=False, catch_up=False)
    try:
        return next(iter(watch)).kind
    finally:
        watch.cancel()


def trimmed_past(client: leadboard.Client, since: int, timeout: float = 15.0) -> None:
    """Waits until the server answers a plain watch from ``since`` with OUT_OF_RANGE."""
    deadline = time.monotonic() + timeout
    while first_kind(client, since) != "reset":
        assert time.monotonic() < deadline, "the change log was never trimmed past the revision"
        time.sleep(0.2)


def until_synced(events: Iterator[leadboard.WatchEvent]) -> list[leadboard.WatchEvent]:
    seen: list[leadboard.WatchEvent] = []
    for event in events:
        seen.append(event)
        if event.kind == "synced":
            return seen
    raise AssertionError(f"the watch ended before synced: {[e.kind for e in seen]}")


def trimmed_board(server_factory: Callable[..., ServerProcess], job_id: str):
    """A server whose log lost revision R: two of four leads changed (twice) after R."""
    srv = server_factory("--retention=1s", "--trim_interval=200ms")
    client = leadboard.Client(srv.target)
    ids, since = create_leads(client, job_id, 4)
    changed = [ids[1], ids[3]]
    client.report(status(job_id, lead_id, 100 + n, f"{lead_id} step {n}")
                  for n in range(2) for lead_id in changed)
    trimmed_past(client, since)
    return client, ids, changed, since


def test_a_watch_past_the_change_log_catches_up_with_current_cards(server_factory) -> None:
    client, ids, changed, since = trimmed_board(server_factory, "job-catch")
    with client:
        watch = client.watch(since_revision=since)  # catch_up and conflate by default
        seen = until_synced(iter(watch))
        watch.cancel()
        cards = {lead_id: client.get_lead(lead_id) for lead_id in ids}

        async def collect() -> list[leadboard.WatchEvent]:
            async with leadboard.AsyncClient(client.target) as aclient:
                out: list[leadboard.WatchEvent] = []
                async for event in aclient.watch(since_revision=since):
                    out.append(event)
                    if event.kind == "synced":
                        break
                return out

        async_seen = asyncio.run(collect())

    for events in (seen, async_seen):
        kinds = [e.kind for e in events]
        assert kinds == ["current", "current", "synced"], kinds
        current = events[:-1]
        assert [e.lead.id for e in current] == sorted(changed, key=lambda i: cards[i].revision)
        assert [e.revision for e in current] == sorted(e.revision for e in current)
        for e in current:
            card = cards[e.lead.id]
            assert e.revision == e.lead.revision == card.revision
            assert e.lead.activity == card.activity == f"{e.lead.id} step 1"
        assert events[-1].revision == max(card.revision for card in cards.values())
    assert watch.state.resets == 0 and watch.last_revision == seen[-1].revision


def test_without_catch_up_a_watch_past_the_change_log_starts_over(server_factory) -> None:
    client, ids, changed, since = trimmed_board(server_factory, "job-reset")
    with client:
        watch = client.watch(since_revision=since, catch_up=False)
        seen = until_synced(iter(watch))
        watch.cancel()
        last = max(client.get_lead(lead_id).revision for lead_id in ids)
    kinds = [e.kind for e in seen]
    assert kinds == ["reset"] + ["snapshot"] * len(ids) + ["synced"], kinds
    assert sorted(e.lead.id for e in seen[1:-1]) == sorted(ids)
    assert seen[-1].revision == last and watch.state.resets == 1


def test_a_conflating_watch_that_falls_behind_gets_each_leads_newest_card(server_factory) -> None:
    srv = server_factory("--watch_queue_limit=20")
    job_id = "job-flood"
    updates = 2000
    with leadboard.Client(srv.target) as client:
        ids, _ = create_leads(client, job_id, 5)
        conflating = client.watch(job_id=job_id, include_progress=True)
        every = client.watch(job_id=job_id, include_progress=True, conflate=False)
        streams = {"conflating": iter(conflating), "every": iter(every)}
        for name, events in streams.items():
            assert [e.kind for e in until_synced(events)].count("snapshot") == len(ids), name

        # Neither watch is read while ~16 MB of changes go by.
        pad = "x" * 8192
        summary = client.report(
            status(job_id, ids[n % len(ids)], 1000 + n, f"{n:05d} {pad}") for n in range(updates)
        )
        assert summary.accepted == updates
        final = summary.last_revision
        cards = {lead_id: client.get_lead(lead_id) for lead_id in ids}
        assert max(card.revision for card in cards.values()) == final

        received: dict[str, list[leadboard.WatchEvent]] = {}
        for name, events in streams.items():
            watch = conflating if name == "conflating" else every
            got: list[leadboard.WatchEvent] = []
            deadline = time.monotonic() + 60
            for event in events:
                assert event.kind not in ("reset", "snapshot"), (name, event.kind)
                if event.kind == "updated":
                    got.append(event)
                if watch.last_revision >= final:
                    break
                assert time.monotonic() < deadline, (name, watch.last_revision, final)
            watch.cancel()
            received[name] = got

    for name, got in received.items():
        revisions = [e.revision for e in got]
        assert revisions == sorted(set(revisions)), f"{name}: revisions out of order or repeated"
        newest = {e.lead.id: e for e in got}
        assert set(newest) == set(ids), name
        for lead_id, e in newest.items():
            card = cards[lead_id]
            assert (e.revision, e.lead.revision, e.lead.activity) == (card.revision, card.revision, card.activity)

    assert conflating.state.cut_off == 0 and conflating.state.resets == 0
    assert len(received["conflating"]) < updates
    # Without conflation the slow watch was cut off, resumed from its last
    # revision and still got every change, none twice.
    assert every.state.cut_off >= 1 and every.state.reconnects >= 1 and every.state.resets == 0
    assert len(received["every"]) == updates
