"""Tests against a real leadboard-server (skipped when the binary is missing)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import leadboard
from leadboard import EventType, PipelineEvent
from leadboard.sim import SimOptions, plan_job

ServerProcess = Any  # the `server` fixture's type (tests/conftest.py)

HERE = Path(__file__).resolve().parent
TERMINAL = ("enriched", "failed")


def simulate_cli() -> list[str]:
    exe = shutil.which("leadboard-simulate", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "leadboard.sim"]


def board_counts(client: leadboard.Client, **filters: str) -> dict[str, int]:
    return {c.id: c.lead_count for c in client.get_board(**filters).columns}


def report_plan(client: leadboard.Client, plan) -> leadboard.ReportSummary:
    """Reports a simulator plan the way a pipeline would: one adapter per stream."""
    adapters: dict[str, leadboard.EventAdapter] = {}
    return client.report(adapters.setdefault(pe.stream, leadboard.EventAdapter()).adapt(pe.event) for pe in plan.events)


# --------------------------------------------------------------------------


def test_simulated_jobs_end_in_the_expected_board_state(server: ServerProcess) -> None:
    proc = subprocess.run(
        simulate_cli() + ["--target", server.target, "--speed", "0", "--seed", "7", "--run-id", "sim",
                          "--jobs", "2", "--leads", "6", "--failure-rate", "0.4", "--duplicate-rate", "0.2",
                          "--concurrency", "3", "--json", "--user", "ana"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    jobs = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(jobs) == 2
    with leadboard.Client(server.target) as client:
        total = {c: 0 for c in TERMINAL}
        for job in jobs:
            assert job["error"] == "" and job["rejected"] == []
            # Fresh server: every unique event is accepted once, every re-delivery is a duplicate.
            assert job["accepted"] == job["unique_events"]
            assert job["duplicates"] == job["duplicate_deliveries"] > 0
            expected = job["leads"]
            assert len(expected) == 6
            counts = board_counts(client, job_id=job["job_id"])
            for stage, n in counts.items():
                want = sum(1 for s in expected.values() if s == stage)
                assert n == want, (job["job_id"], stage, counts, expected)
            leads = {lead.id: lead for lead in client.list_leads(job_id=job["job_id"], page_size=4)}
            assert {k: v.stage for k, v in leads.items()} == expected
            for lead_id, stage in expected.items():
                lead = leads[lead_id]
                assert lead.user_id == "ana"
                if stage == "enriched":
                    assert lead.status == leadboard.LeadStatus.LEAD_STATUS_ENRICHED and lead.enrichment_stored
                    full = client.get_lead(lead_id)
                    assert full.enrichment.HasField("analysis")
                    assert len(full.enrichment.competitor_intelligence.competitors) >= 2
                    assert full.qualification_tier != leadboard.QualificationTier.QUALIFICATION_TIER_UNSPECIFIED
                else:
                    assert lead.status == leadboard.LeadStatus.LEAD_STATUS_FAILED and lead.error.message
                total[stage] += 1
        assert min(total.values()) > 0, total  # the seed plays both endings
        jobs_listed = {j.id: j for j in client.list_jobs(user_id="ana")}
        for job in jobs:
            listed = jobs_listed[job["job_id"]]
            assert listed.status == leadboard.JobStatus.JOB_STATUS_SUCCEEDED
            assert listed.lead_count == 6
            assert listed.enriched_count == sum(1 for s in job["leads"].values() if s == "enriched")
            assert listed.failed_count == sum(1 for s in job["leads"].values() if s == "failed")
        overall = board_counts(client, user_id="ana")
        assert overall["enriched"] == total["enriched"] and overall["failed"] == total["failed"]


def test_worker_killed_mid_stream_loses_and_doubles_nothing(server: ServerProcess, tmp_path: Path) -> None:
    worker = [sys.executable, str(HERE / "report_worker.py"), server.target]
    # First run: killed with SIGKILL about half-way through.
    proc = subprocess.Popen(worker + ["0.01"], stdout=subprocess.PIPE, text=True, cwd=tmp_path,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    sent = 0
    for line in proc.stdout:
        if line.startswith("sent "):
            sent = int(line.split()[1])
            if sent >= 150:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert 150 <= sent < 353, "the worker was not killed mid-stream"

    with leadboard.Client(server.target) as client:
        mid = board_counts(client, job_id="job-kill-001")
        assert sum(mid.values()) > 0  # the first run's committed events are on the board

    # Restart: the whole job is re-sent; what the killed run stored is duplicates.
    second = subprocess.run(worker + ["0"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            stdin=subprocess.DEVNULL)
    assert second.returncode == 0, second.stderr
    s2 = json.loads(second.stdout.splitlines()[-1])
    assert s2["rejected"] == 0
    assert s2["accepted"] + s2["duplicates"] == s2["deliveries"]
    assert s2["duplicates"] > s2["deliveries"] - s2["unique"]  # more than the planned re-deliveries
    assert s2["accepted"] < s2["unique"]

    # A third run proves everything is stored exactly once.
    third = subprocess.run(worker + ["0"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                           stdin=subprocess.DEVNULL)
    s3 = json.loads(third.stdout.splitlines()[-1])
    assert s3["accepted"] == 0 and s3["duplicates"] == s3["deliveries"]

    with leadboard.Client(server.target) as client:
        leads = {lead.id: lead.stage for lead in client.list_leads(job_id="job-kill-001")}
        assert leads == s2["outcomes"]
        counts = board_counts(client, job_id="job-kill-001")
        assert counts["enriched"] == sum(1 for s in leads.values() if s == "enriched")
        assert counts["failed"] == sum(1 for s in leads.values() if s == "failed")
        job = next(j for j in client.list_jobs() if j.id == "job-kill-001")
        assert (job.lead_count, job.enriched_count, job.failed_count) == (
            5, counts["enriched"], counts["failed"])


def test_rejections_surface_with_field_and_reason(server: ServerProcess) -> None:
    ts = "2026-02-01T10:00:00"
    base = {"job_id": "job-rej", "user_id": "ana", "timestamp": ts}
    events: list[Any] = [
        dict(base, event_type="lead_generated", lead_id="rej-1", lead_data={"company_name": "DataSync Pro"}),
        dict(base, event_type="lead_generated", lead_data={"company_name": "No Id Ltda"}),      # 1: no lead_id
        dict(base, event_type="agent_start", agent_name="TavilyEnrichmentAgent"),              # 2: ok (tracked)
        dict(base, event_type="agent_start"),                                                  # 3: no agent_name
        dict(base, event_type="status_update", status_message="x", event_id="x" * 200),        # 4: id too long
        PipelineEvent(event_id="bad-enrichment", job_id="job-rej", user_id="ana", lead_id="rej-1",
                      type=EventType.EVENT_TYPE_AGENT_END, agent_name="A",
                      enrichment=leadboard.EnrichmentPackage(confidence_score=0.5)),          # 5: enrichment
        dict(base, event_type="mystery_event"),                                                # 6: unknown type
        dict(base, event_type="agent_end", agent_name="TavilyEnrichmentAgent", success=True),  # 7: ok
    ]
    with leadboard.Client(server.target, batch_size=3) as client:
        with pytest.raises(leadboard.RejectedEventsError) as info:
            client.report(events)
        err = info.value
        assert isinstance(err, leadboard.LeadboardError)
        by_index = {r.index: r for r in err.rejected}
        assert sorted(by_index) == [1, 3, 4, 5, 6]
        assert by_index[1].field == "lead_id" and "LEAD_GENERATED" in by_index[1].reason
        assert by_index[3].field == "agent_name" and "required" in by_index[3].reason
        assert by_index[4].field == "event_id" and by_index[4].event_id == ""
        assert by_index[5].field == "enrichment" and by_index[5].event_id == "bad-enrichment"
        assert by_index[6].field == "type"
        assert err.result.accepted == 3 and err.result.batches == 3
        assert {v.field for v in err.field_violations} == {"lead_id", "agent_name", "event_id", "enrichment", "type"}
        # The good events beside the bad ones are stored.
        lead = client.get_lead("rej-1")
        assert lead.profile.company_name == "DataSync Pro"
        assert lead.stage == "research"
        # Re-sending: the good ones are duplicates now; no exception when asked.
        summary = client.report(events, raise_on_rejected=False)
        assert summary.accepted == 0 and summary.duplicates == 3 and len(summary.rejected) == 5
        with pytest.raises(leadboard.NotFoundError):
            client.get_lead("no-such-lead")


def test_watch_resumes_across_a_server_restart(server: ServerProcess) -> None:
    start = dt.datetime(2026, 3, 1, 9, 0, 0)
    plans = [plan_job(SimOptions(leads=3, seed=21, failure_rate=0.3, duplicate_rate=0.1, run_id="watch",
                                 start_time=start), i) for i in (1, 2, 3)]
    received: list[leadboard.WatchEvent] = []
    synced = threading.Event()
    errors: list[BaseException] = []
    lock = threading.Lock()

    with leadboard.Client(server.target) as client:
        first = report_plan(client, plans[0])
        watch = client.watch(since_revision=0, conflate=False)  # every change, so no gap is allowed

        def run() -> None:
            try:
                for event in watch:
                    with lock:
                        received.append(event)
                    if event.kind == "synced":
                        synced.set()
            except BaseException as e:  # pragma: no cover - surfaced below
                errors.append(e)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert synced.wait(15), errors
        snapshot_rev = next(e.revision for e in received if e.kind == "synced")
        assert snapshot_rev == first.last_revision
        assert sum(1 for e in received if e.kind == "snapshot") == 3

        second = report_plan(client, plans[1])
        wait_for(lambda: watch.last_revision >= second.last_revision, received, lock)

        server.restart()  # same data dir and port
        third = report_plan(client, plans[2])
        wait_for(lambda: watch.last_revision >= third.last_revision, received, lock, timeout=30)
        watch.cancel()
        thread.join(10)
        assert not thread.is_alive() and not errors

    live = [e.revision for e in received if e.kind not in ("snapshot", "synced", "progress", "reset")]
    assert live == list(range(snapshot_rev + 1, third.last_revision + 1)), "gap or repeat in revisions"
    assert watch.state.reconnects >= 1
    assert watch.state.duplicates_skipped == 0, "the server repeated revisions after resume"
    kinds = {e.kind for e in received}
    assert {"created", "stage_changed"} <= kinds and kinds & {"enriched", "failed"}
    enriched = [e for e in received if e.kind == "enriched"]
    assert all(e.lead.enrichment_stored for e in enriched)


def wait_for(cond, received, lock, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with lock:
            if cond():
                return
        time.sleep(0.05)
    raise AssertionError(f"timed out; last events: {received[-3:]}")


def test_async_client_report_read_and_watch(server: ServerProcess) -> None:
    import asyncio

    plan = plan_job(SimOptions(leads=2, seed=3, failure_rate=0.0, duplicate_rate=0.0, run_id="aio",
                               start_time=dt.datetime(2026, 4, 1)), 1)

    async def pipeline():
        for pe in plan.events:
            yield pe.event
            await asyncio.sleep(0)

    async def scenario() -> None:
        async with leadboard.AsyncClient(server.target, batch_size=25) as client:
            # One adapter for every stream is fine when leads run one at a time.
            plan_seq = plan_job(SimOptions(leads=2, seed=3, failure_rate=0.0, duplicate_rate=0.0,
                                           concurrency=1, run_id="aio", start_time=dt.datetime(2026, 4, 1)), 1)

            async def seq():
                for pe in plan_seq.events:
                    yield pe.event

            summary = await client.report(seq())
            assert summary.accepted == plan_seq.deliveries and summary.batches > 1
            board = await client.get_board(job_id=plan_seq.job_id)
            assert {c.id: c.lead_count for c in board.columns}["enriched"] == 2
            leads = [lead async for lead in client.list_leads(job_id=plan_seq.job_id, full=True)]
            assert len(leads) == 2 and all(lead.enrichment.HasField("analysis") for lead in leads)
            jobs = [j async for j in client.list_jobs()]
            assert [j.id for j in jobs] == [plan_seq.job_id]
            seen = []
            async for event in client.watch(since_revision=0, job_id=plan_seq.job_id):
                seen.append(event.kind)
                if event.kind == "synced":
                    break
            assert seen.count("snapshot") == 2
            with pytest.raises(leadboard.NotFoundError):
                await client.get_lead("nope")

    asyncio.run(scenario())
    assert plan.deliveries > 0


def test_unreachable_server_raises_unavailable_after_retries() -> None:
    policy = leadboard.RetryPolicy(max_attempts=2, initial_backoff=0.05, max_backoff=0.1)
    with leadboard.Client("127.0.0.1:1", retry=policy, timeout=2) as client:
        with pytest.raises(leadboard.UnavailableError):
            client.get_board()
        with pytest.raises(leadboard.UnavailableError) as info:
            client.report([{"event_type": "status_update", "job_id": "j", "user_id": "u"}])
        assert info.value.code is not None


def test_report_resends_the_broken_batch_after_a_server_restart(server: ServerProcess) -> None:
    plan = plan_job(SimOptions(leads=3, seed=4, failure_rate=0.3, duplicate_rate=0.1, run_id="retry",
                               start_time=dt.datetime(2026, 5, 1)), 1)
    adapters: dict[str, leadboard.EventAdapter] = {}
    restarted = threading.Event()

    def events():
        for n, pe in enumerate(plan.events):
            if n == len(plan.events) // 2 and not restarted.is_set():
                server.restart()  # the open stream breaks; the SDK must re-send its batch
                restarted.set()
            yield adapters.setdefault(pe.stream, leadboard.EventAdapter()).adapt(pe.event)

    policy = leadboard.RetryPolicy(max_attempts=10, initial_backoff=0.1, max_backoff=1.0)
    with leadboard.Client(server.target, batch_size=1000, retry=policy) as client:
        summary = client.report(events())
        assert summary.retries >= 1
        # Whatever the broken stream had committed comes back as duplicates.
        assert summary.accepted + summary.duplicates == plan.deliveries
        again = client.report(adapters.setdefault(pe.stream, leadboard.EventAdapter()).adapt(pe.event)
                              for pe in plan.events)
        assert again.accepted == 0 and again.duplicates == plan.deliveries
        leads = {lead.id: lead.stage for lead in client.list_leads(job_id=plan.job_id)}
        assert leads == plan.outcomes


def test_async_report_resends_the_broken_batch_after_a_server_restart(server: ServerProcess) -> None:
    import asyncio

    plan = plan_job(SimOptions(leads=2, seed=9, failure_rate=0.0, duplicate_rate=0.1, concurrency=1,
                               run_id="aretry", start_time=dt.datetime(2026, 7, 1)), 1)

    async def scenario() -> leadboard.ReportSummary:
        async def events():
            for n, pe in enumerate(plan.events):
                if n == len(plan.events) // 2:
                    server.restart()
                yield pe.event
                await asyncio.sleep(0)

        policy = leadboard.RetryPolicy(max_attempts=10, initial_backoff=0.1, max_backoff=1.0)
        async with leadboard.AsyncClient(server.target, batch_size=1000, retry=policy) as client:
            return await client.report(events())

    summary = asyncio.run(scenario())
    assert summary.retries >= 1
    assert summary.accepted + summary.duplicates == plan.deliveries
    with leadboard.Client(server.target) as client:
        assert {lead.id: lead.stage for lead in client.list_leads(job_id=plan.job_id)} == plan.outcomes


def test_pipeline_exception_propagates_after_storing_what_came_before(server: ServerProcess) -> None:
    class PipelineCrashed(Exception):
        pass

    def events():
        base = {"job_id": "job-crash", "user_id": "ana", "timestamp": "2026-08-01T10:00:00"}
        yield dict(base, event_type="pipeline_start", initial_query="q", max_leads_to_generate=1)
        yield dict(base, event_type="lead_generated", lead_id="crash-1", lead_data={"company_name": "NextGen Analytics"})
        yield dict(base, event_type="agent_start", agent_name="LeadIntakeAgent")
        raise PipelineCrashed("LLM provider down")

    with leadboard.Client(server.target, batch_size=2) as client:
        with pytest.raises(PipelineCrashed):
            client.report(events())
        lead = client.get_lead("crash-1")
        assert lead.stage == "intake" and lead.current_agent


def test_async_pipeline_exception_propagates_after_storing_what_came_before(server: ServerProcess) -> None:
    import asyncio

    async def events():
        base = {"job_id": "job-acrash", "user_id": "ana", "timestamp": "2026-08-01T10:00:00"}
        yield dict(base, event_type="lead_generated", lead_id="acrash-1", lead_data={"company_name": "DataSync Pro"})
        yield dict(base, event_type="agent_start", agent_name="lead_analysis_agent")
        raise RuntimeError("pipeline crashed")

    async def scenario() -> None:
        async with leadboard.AsyncClient(server.target) as client:
            with pytest.raises(RuntimeError):
                await client.report(events())
            lead = await client.get_lead("acrash-1")
            assert lead.stage == "intake"

    asyncio.run(scenario())
