"""Agent timelines (GetLead's runs), per-agent statistics and stalled leads, on a real server.

Skipped when the server binary is missing or predates them (no --stall_after).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

import leadboard
from leadboard.sim import SimOptions, plan_job

ServerProcess = Any  # the `server` fixture's type (tests/conftest.py)

UTC = dt.timezone.utc
S = leadboard.StepStatus
NOW = dt.datetime.now(UTC).replace(microsecond=0)
T_A = NOW - dt.timedelta(hours=2)       # job A's events
T_B = NOW - dt.timedelta(minutes=10)    # job B's events

# Stall tests run the server with a short stall limit; the rest need only a
# server that knows the new RPCs (the same binary: the flag marks it).
STALL = pytest.mark.server_args("--stall_after=1s")
NEW_SERVER = pytest.mark.server_args("--stall_after=10m")


def secs(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


class Events:
    """Builds one job's event dicts, timed in seconds after ``t0``."""

    def __init__(self, job_id: str, user_id: str, t0: dt.datetime) -> None:
        self.job_id, self.user_id, self.t0 = job_id, user_id, t0
        self.items: list[dict[str, Any]] = []

    def __call__(self, lead_id: str, at: float, event_type: str, **fields: Any) -> None:
        self.items.append({"event_type": event_type, "job_id": self.job_id, "user_id": self.user_id,
                           "lead_id": lead_id, "timestamp": (self.t0 + secs(at)).isoformat(), **fields})


def job_a() -> Events:
    """Three leads of Ana's job: one enriched after a failed and retried agent,
    one failed with an agent that never ended, one with an agent running."""
    e = Events("job-stats-a", "ana", T_A)
    e("stats-a1", 0, "lead_generated", lead_data={"company_name": "DataSync Pro"})
    e("stats-a1", 1, "lead_enrichment_start", company_name="DataSync Pro")
    e("stats-a1", 2, "agent_start", agent_name="TavilyEnrichmentAgent")
    e("stats-a1", 3, "tool_call_start", agent_name="TavilyEnrichmentAgent", tool_name="tavily_search",
      tool_args={"query": "DataSync Pro"})
    e("stats-a1", 12, "agent_end", agent_name="TavilyEnrichmentAgent", success=True, execution_time_seconds=10)
    e("stats-a1", 13, "agent_start", agent_name="ContactExtractionAgent")
    e("stats-a1", 15, "agent_end", agent_name="ContactExtractionAgent", success=False,
      error_message="Timeout ao acessar o site", execution_time_seconds=2)
    e("stats-a1", 16, "agent_start", agent_name="contact_extraction_agent")  # the retry, spelled otherwise
    e("stats-a1", 20, "agent_end", agent_name="ContactExtractionAgent", success=True, execution_time_seconds=4)
    e("stats-a1", 21, "lead_enrichment_end", success=True)

    e("stats-a2", 0, "lead_generated", lead_data={"company_name": "NextGen Analytics"})
    e("stats-a2", 1, "lead_enrichment_start", company_name="NextGen Analytics")
    e("stats-a2", 2, "agent_start", agent_name="TavilyEnrichmentAgent")
    e("stats-a2", 8, "agent_end", agent_name="TavilyEnrichmentAgent", success=True, execution_time_seconds=6)
    e("stats-a2", 9, "agent_start", agent_name="PainPointDeepeningAgent")
    e("stats-a2", 30, "lead_enrichment_end", success=False,
      error_message="PainPointDeepeningAgent failed: LLM indisponível")

    e("stats-a3", 0, "lead_generated", lead_data={"company_name": "CloudNine Ltda"})
    e("stats-a3", 1, "lead_enrichment_start", company_name="CloudNine Ltda")
    e("stats-a3", 2, "agent_start", agent_name="LeadQualificationAgent")
    return e


def job_b() -> Events:
    """One lead of Bruno's job, recent: one 20 s agent step."""
    e = Events("job-stats-b", "bruno", T_B)
    e("stats-b1", 0, "lead_generated", lead_data={"company_name": "Advocacia Souza"})
    e("stats-b1", 1, "lead_enrichment_start", company_name="Advocacia Souza")
    e("stats-b1", 2, "agent_start", agent_name="TavilyEnrichmentAgent")
    e("stats-b1", 22, "agent_end", agent_name="TavilyEnrichmentAgent", success=True, execution_time_seconds=20)
    e("stats-b1", 23, "lead_enrichment_end", success=True)
    return e


def by_agent(response: leadboard.GetAgentStatsResponse) -> dict[str, leadboard.AgentStats]:
    return {a.agent: a for a in response.agents}


def counts(stats: leadboard.AgentStats) -> tuple[int, ...]:
    return (stats.steps, stats.succeeded, stats.failed, stats.unfinished, stats.running, stats.retries)


def near(duration: Any, seconds: float, rel: float = 0.011) -> bool:
    """Whether a percentile is within 1 % (buckets 2 % wide) of ``seconds``."""
    return abs(duration.ToTimedelta().total_seconds() - seconds) <= seconds * rel


# -- statistics ---------------------------------------------------------------


@NEW_SERVER
def test_agent_stats_count_each_agents_steps_and_filter_by_job_user_and_time(server: ServerProcess) -> None:
    with leadboard.Client(server.target) as client:
        client.report(job_a().items + job_b().items)

        a = client.get_agent_stats(job_id="job-stats-a")
        assert [s.agent for s in a.agents] == ["contactextraction", "leadqualification", "painpointdeepening",
                                               "tavilyenrichment"], "one entry per normalized agent, by name"
        assert a.steps == 6
        stats = by_agent(a)
        #                                   steps succeeded failed unfinished running retries
        assert counts(stats["tavilyenrichment"]) == (2, 2, 0, 0, 0, 0)
        assert counts(stats["contactextraction"]) == (2, 1, 1, 0, 0, 1)
        assert counts(stats["painpointdeepening"]) == (1, 0, 0, 1, 0, 0)
        assert counts(stats["leadqualification"]) == (1, 0, 0, 0, 1, 0)
        assert stats["contactextraction"].failure_rate == pytest.approx(0.5)
        assert stats["tavilyenrichment"].failure_rate == 0.0 and stats["painpointdeepening"].failure_rate == 0.0
        tavily = stats["tavilyenrichment"]
        assert tavily.max.ToTimedelta() == secs(10) and tavily.total.ToTimedelta() == secs(16)
        assert near(tavily.p95, 10) and 6 * 0.99 <= tavily.p50.ToTimedelta().total_seconds() <= 10 * 1.01
        contact = stats["contactextraction"]  # a failed step has ended too: 2 s and 4 s
        assert contact.max.ToTimedelta() == secs(4) and contact.total.ToTimedelta() == secs(6)
        assert stats["painpointdeepening"].total.ToTimedelta() == dt.timedelta(0)

        b = client.get_agent_stats(job_id="job-stats-b")
        assert [(s.agent, counts(s)) for s in b.agents] == [("tavilyenrichment", (1, 1, 0, 0, 0, 0))]
        assert b.steps == 1 and b.agents[0].max.ToTimedelta() == secs(20)

        everything = client.get_agent_stats()
        assert everything.steps == 7 and by_agent(everything)["tavilyenrichment"].steps == 3
        assert by_agent(everything)["tavilyenrichment"].total.ToTimedelta() == secs(36)
        assert client.get_agent_stats(user_id="bruno") == b
        assert client.get_agent_stats(user_id="ana") == a
        assert client.get_agent_stats(job_id="job-stats-a", user_id="bruno").agents == []

        # Start-time bounds: a timedelta is that long ago; since is inclusive, until exclusive.
        assert client.get_agent_stats(since=dt.timedelta(hours=1)) == b
        assert client.get_agent_stats(until=dt.timedelta(hours=1)) == a
        window = client.get_agent_stats(since=(T_A + secs(13)).isoformat(), until=T_A + secs(16))
        assert [(s.agent, counts(s)) for s in window.agents] == [("contactextraction", (1, 0, 1, 0, 0, 0))]
        naive = (T_A + secs(13)).replace(tzinfo=None)  # without a zone: UTC
        assert client.get_agent_stats(since=naive, until=T_A + secs(16)) == window

        with pytest.raises(leadboard.InvalidArgumentError) as info:
            client.get_agent_stats(since=T_A + secs(20), until=T_A + secs(10))
        assert {v.field for v in info.value.field_violations} & {"since", "until"}, info.value

        # The same agent events again, under other event ids, count once.
        again = [dict(e, event_id=f"again-{n}") for n, e in enumerate(job_a().items)
                 if e["event_type"] in ("agent_start", "agent_end", "tool_call_start")]
        assert client.report(again).accepted == len(again)
        assert client.get_agent_stats(job_id="job-stats-a") == a


@NEW_SERVER
def test_async_agent_stats_match_the_sync_ones(server: ServerProcess) -> None:
    with leadboard.Client(server.target) as client:
        client.report(job_b().items)
        expected = client.get_agent_stats(job_id="job-stats-b")

    async def scenario() -> tuple[leadboard.GetAgentStatsResponse, list[leadboard.Lead]]:
        async with leadboard.AsyncClient(server.target) as board:
            stats = await board.get_agent_stats(job_id="job-stats-b", since=dt.timedelta(days=1))
            stalled = [lead async for lead in board.list_leads(stalled=True)]
            return stats, stalled

    stats, stalled = asyncio.run(scenario())
    assert stats == expected and stats.steps == 1
    assert stalled == []


# -- timelines ----------------------------------------------------------------


def step_row(step: leadboard.AgentStep) -> tuple:
    return (step.agent, step.agent_name, step.attempt, leadboard.step_status(step), leadboard.step_duration(step),
            step.error)


@NEW_SERVER
def test_get_lead_returns_each_runs_agent_steps(server: ServerProcess) -> None:
    with leadboard.Client(server.target) as client:
        client.report(job_a().items)

        a1 = client.get_lead("stats-a1")
        assert len(a1.runs) == 1
        run = a1.runs[0]
        assert run.outcome == leadboard.LeadStatus.LEAD_STATUS_ENRICHED and not run.truncated
        assert run.started_at.ToDatetime(tzinfo=UTC) == T_A + secs(1)
        assert run.ended_at.ToDatetime(tzinfo=UTC) == T_A + secs(21)
        assert [step_row(s) for s in run.steps[:2]] == [
            ("tavilyenrichment", "TavilyEnrichmentAgent", 1, "succeeded", secs(10), ""),
            ("contactextraction", "ContactExtractionAgent", 1, "failed", secs(2), "Timeout ao acessar o site"),
        ]
        # The retry started as "contact_extraction_agent" and ended as "ContactExtractionAgent": one step.
        retried = run.steps[2]
        assert step_row(retried)[2:] == (2, "succeeded", secs(4), "")
        assert retried.agent == "contactextraction"
        assert retried.agent_name in ("contact_extraction_agent", "ContactExtractionAgent")
        assert [s.started_at.ToDatetime(tzinfo=UTC) for s in run.steps] == [T_A + secs(n) for n in (2, 13, 16)]
        assert [s.ended_at.ToDatetime(tzinfo=UTC) for s in run.steps] == [T_A + secs(n) for n in (12, 15, 20)]
        assert [s.tool_calls for s in run.steps] == [1, 0, 0]
        assert [s.wait_before.ToTimedelta() for s in run.steps] == [secs(1)] * 3

        a2 = client.get_lead("stats-a2")
        assert [r.outcome for r in a2.runs] == [leadboard.LeadStatus.LEAD_STATUS_FAILED]
        assert [step_row(s) for s in a2.runs[0].steps] == [
            ("tavilyenrichment", "TavilyEnrichmentAgent", 1, "succeeded", secs(6), ""),
            ("painpointdeepening", "PainPointDeepeningAgent", 1, "unfinished", None, ""),
        ]
        never = a2.runs[0].steps[1]
        assert never.HasField("started_at") and not never.HasField("ended_at")

        a3 = client.get_lead("stats-a3")
        (running,) = leadboard.current_run(a3).steps
        assert leadboard.current_run(a3).outcome == leadboard.LeadStatus.LEAD_STATUS_ENRICHING
        assert not leadboard.current_run(a3).HasField("ended_at")
        assert (running.agent, running.attempt, leadboard.step_status(running)) == ("leadqualification", 1, "running")
        assert not running.HasField("duration")
        assert leadboard.step_duration(running) >= NOW - (T_A + secs(2))  # grows from started_at

        # A newer run of the failed lead: the old run stays, the new one is current.
        retry = Events("job-stats-a", "ana", T_A)
        retry("stats-a2", 100, "lead_enrichment_start", company_name="NextGen Analytics")
        retry("stats-a2", 101, "agent_start", agent_name="TavilyEnrichmentAgent")
        client.report(retry.items)
        a2 = client.get_lead("stats-a2")
        assert [r.outcome for r in a2.runs] == [leadboard.LeadStatus.LEAD_STATUS_FAILED,
                                                leadboard.LeadStatus.LEAD_STATUS_ENRICHING]
        assert [step_row(s) for s in a2.runs[0].steps][1][3] == "unfinished"
        assert [(s.agent, s.attempt, leadboard.step_status(s)) for s in a2.runs[1].steps] == [
            ("tavilyenrichment", 1, "running")]
        assert a2.runs[1].started_at.ToDatetime(tzinfo=UTC) == T_A + secs(100)

        # Cards carry no runs: GetLead only.
        cards = list(client.list_leads(job_id="job-stats-a"))
        assert len(cards) == 3 and not any(card.runs for card in cards)


# -- stalls -------------------------------------------------------------------


class Watcher:
    """Collects a watch's events on a thread; ``wait_for`` blocks until one matches."""

    def __init__(self, client: leadboard.Client, **filters: Any) -> None:
        self.watch = client.watch(conflate=False, **filters)
        self.events: list[tuple[float, leadboard.WatchEvent]] = []
        self.errors: list[BaseException] = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for event in self.watch:
                with self.cond:
                    self.events.append((time.time(), event))
                    self.cond.notify_all()
        except BaseException as e:  # pragma: no cover - surfaced by wait_for
            with self.cond:
                self.errors.append(e)
                self.cond.notify_all()

    def wait_for(self, match: Callable[[leadboard.WatchEvent], bool], timeout: float = 20.0,
                 after: int = -1) -> tuple[float, leadboard.WatchEvent]:
        """The first event after revision ``after`` that matches, with when it arrived."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for at, event in self.events:
                    if event.revision > after and match(event):
                        return at, event
                assert not self.errors, self.errors
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; last events: {[(e.kind, e.revision) for _, e in self.events[-5:]]}"
                self.cond.wait(left)

    def of(self, lead_id: str, kind: Optional[str] = None) -> list[leadboard.WatchEvent]:
        with self.cond:
            return [e for _, e in self.events
                    if e.lead is not None and e.lead.id == lead_id and (kind is None or e.kind == kind)]

    def close(self) -> None:
        self.watch.cancel()
        self.thread.join(10)


def poll(read: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ok(value):
            return value
        assert time.monotonic() < deadline, f"timed out; last: {value}"
        time.sleep(0.1)


def stall_options(seed: int, **kw: Any) -> SimOptions:
    base = dict(leads=2, seed=seed, failure_rate=0.0, duplicate_rate=0.1, run_id=f"stall{seed}",
                start_time=(NOW - dt.timedelta(hours=1)).replace(tzinfo=None))
    base.update(kw)
    return SimOptions(**base)


def one_hang(agent: str) -> int:
    """A seed whose 2-lead job hangs exactly one lead in ``agent``."""
    return next(seed for seed in range(200)
                if len(plan_job(stall_options(seed, hang_rate=0.5, hang_agent=agent), 1).hangs) == 1)


@STALL
def test_a_hanging_agent_stalls_its_lead_until_its_next_event(server: ServerProcess) -> None:
    seed = one_hang("ContactExtractionAgent")
    plan = plan_job(stall_options(seed, hang_rate=0.5, hang_agent="ContactExtractionAgent"), 1)
    whole = plan_job(stall_options(seed), 1)  # the same job without the hang
    (hung,) = plan.hangs
    other = next(lead_id for lead_id in plan.outcomes if lead_id != hung)
    stream = f"lead:{hung}"
    cut = max(e.offset for e in plan.events if e.stream == stream)
    adapters: dict[str, leadboard.EventAdapter] = {}

    def report(events: list) -> None:
        client.report(adapters.setdefault(pe.stream, leadboard.EventAdapter()).adapt(pe.event) for pe in events)

    with leadboard.Client(server.target) as client:
        watcher = Watcher(client, job_id=plan.job_id)
        try:
            watcher.wait_for(lambda e: e.kind == "synced")
            sent_at = dt.datetime.now(UTC)
            report(plan.events)
            done_at = dt.datetime.now(UTC)

            arrived, stalled = watcher.wait_for(lambda e: e.kind == "stalled" and e.lead.id == hung)
            since = leadboard.stalled_since(stalled.lead)
            assert since is not None, "a stalled change carries the card with stalled_since"
            assert stalled.lead.stage == "research" and stalled.lead.status == leadboard.LeadStatus.LEAD_STATUS_ENRICHING
            # The silence started when the lead's last event arrived (the server's clock).
            assert sent_at - secs(1) <= since <= done_at + secs(1), (sent_at, since, done_at)
            assert dt.datetime.fromtimestamp(arrived, UTC) - since >= secs(0.9), "flagged before --stall_after"
            assert plan.outcomes[other] == "enriched" and client.get_lead(other).stage == "enriched"

            listed = list(client.list_leads(job_id=plan.job_id, stalled=True))
            assert [lead.id for lead in listed] == [hung] and leadboard.stalled_since(listed[0]) == since
            assert [lead.id for lead in client.list_leads(stalled=True)] == [hung]
            assert leadboard.stalled_since(client.get_lead(hung)) == since
            column = {c.id: c for c in client.get_board(job_id=plan.job_id).columns}["research"]
            assert column.stalled_count == 1 and column.lead_count == 1
            # The job awaits its hanging lead: it is running and silent too.
            job = poll(lambda: next(j for j in client.list_jobs() if j.id == plan.job_id),
                       lambda j: leadboard.stalled_since(j) is not None)
            assert job.status == leadboard.JobStatus.JOB_STATUS_RUNNING

            time.sleep(2.5)  # more than --stall_after again: still one stalled change per stall
            assert [e.revision for e in watcher.of(hung, "stalled")] == [stalled.revision]

            # The worker comes back: the rest of the run, as planned without the hang.
            report([pe for pe in whole.events if pe.stream == stream and pe.offset > cut])
            _, cleared = watcher.wait_for(lambda e: e.lead is not None and e.lead.id == hung, after=stalled.revision)
            assert not cleared.lead.HasField("stalled_since"), "the lead's next event clears the flag"
            assert cleared.kind != "stalled"
            watcher.wait_for(lambda e: e.kind == "enriched" and e.lead.id == hung, after=stalled.revision)
            assert list(client.list_leads(job_id=plan.job_id, stalled=True)) == []
            lead = client.get_lead(hung)
            assert lead.stage == "enriched" and leadboard.stalled_since(lead) is None
            assert {c.id: c.stalled_count for c in client.get_board(job_id=plan.job_id).columns}["research"] == 0
        finally:
            watcher.close()


def simulate_cli() -> list[str]:
    exe = shutil.which("leadboard-simulate", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "leadboard.sim"]


@STALL
def test_the_simulators_hanging_leads_show_as_stalled(server: ServerProcess) -> None:
    proc = subprocess.run(
        simulate_cli() + ["--target", server.target, "--speed", "0", "--seed", "11", "--run-id", "hangcli",
                          "--leads", "4", "--failure-rate", "0", "--hang-rate", "0.5",
                          "--hang-agent", "lead_qualification", "--json", "--user", "ana"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    (job,) = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    hangs = job["hangs"]
    assert hangs and set(hangs.values()) == {"LeadQualificationAgent"}, "seed 11 hangs some of the 4 leads"
    assert job["error"] == "" and job["rejected"] == []
    with leadboard.Client(server.target) as client:
        stalled = poll(lambda: list(client.list_leads(job_id=job["job_id"], stalled=True)),
                       lambda leads: {lead.id for lead in leads} == set(hangs))
        assert all(lead.stage == "qualification" and leadboard.stalled_since(lead) for lead in stalled)
        stages = {lead.id: lead.stage for lead in client.list_leads(job_id=job["job_id"])}
        assert {k for k, v in stages.items() if v == "enriched"} == set(job["leads"]) - set(hangs)
        for lead_id in hangs:
            step = leadboard.current_run(client.get_lead(lead_id)).steps[-1]
            assert (step.agent, leadboard.step_status(step)) == ("leadqualification", "running")
        stats = by_agent(client.get_agent_stats(job_id=job["job_id"]))
        assert stats["leadqualification"].running == len(hangs)
