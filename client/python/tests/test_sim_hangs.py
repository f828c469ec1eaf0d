"""The simulator's hanging agents (``--hang-rate``, ``--hang-agent``): the plan, without a server."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from leadboard.sim import ENRICHMENT_AGENTS, SimOptions, enrichment_agent, plan_job
from leadboard.sim.jobs import JobResult
from leadboard.summary import ReportSummary

START = dt.datetime(2026, 10, 1, 9, 0, 0)


def options(**kw) -> SimOptions:
    base = dict(leads=10, seed=17, failure_rate=0.3, duplicate_rate=0.2, run_id="hang", start_time=START)
    base.update(kw)
    return SimOptions(**base)


def deliveries(plan) -> list[tuple]:
    return [(e.offset, e.stream, e.event) for e in plan.events]


def lead_stream(plan, lead_id: str) -> list:
    return [e for e in plan.events if e.stream == f"lead:{lead_id}"]


def test_without_a_hang_rate_the_plan_is_unchanged() -> None:
    plain = plan_job(options(), 1)
    assert plain.hangs == {} and "stalled" not in plain.outcomes.values()
    assert deliveries(plain) == deliveries(plan_job(options(hang_rate=0.0, hang_agent=None), 1))


def test_hangs_are_deterministic_in_the_seed() -> None:
    a = plan_job(options(hang_rate=0.5), 2)
    b = plan_job(options(hang_rate=0.5), 2)
    assert a.hangs and a.hangs == b.hangs and deliveries(a) == deliveries(b)
    others = [plan_job(options(hang_rate=0.5, seed=seed), 2).hangs for seed in range(18, 24)]
    assert any(h != a.hangs for h in others), "the hangs depend on the seed"


def test_a_hanging_run_sends_nothing_after_its_agent_starts() -> None:
    plain = plan_job(options(), 1)
    plan = plan_job(options(hang_rate=0.5), 1)
    assert 0 < len(plan.hangs) < 10
    for lead_id, agent in plan.hangs.items():
        assert plan.outcomes[lead_id] == "stalled" and lead_id not in plan.ended
        stream = lead_stream(plan, lead_id)
        last = stream[-1]
        assert (last.event["event_type"], last.event["agent_name"], last.dup_of) == ("agent_start", agent, None)
        assert [e.event["agent_name"] for e in stream if e.event["event_type"] == "agent_start"].count(agent) == 1
        # Up to the hang, the run is the one planned without hangs.
        assert [(e.offset, e.event) for e in stream] == [
            (e.offset, e.event) for e in lead_stream(plain, lead_id) if e.offset <= last.offset]
        assert not any(e.event["event_type"] in ("pipeline_end", "lead_enrichment_end") for e in stream)
    # A pipeline that awaits its leads never reaches the job's end.
    assert not any(e.stream == "job" and e.event["event_type"] == "pipeline_end" for e in plan.events)
    assert any(e.stream == "job" and e.event["event_type"] == "pipeline_end" for e in plain.events)


def test_the_other_leads_are_played_as_without_hangs() -> None:
    plain = plan_job(options(), 3)
    plan = plan_job(options(hang_rate=0.4), 3)
    assert plan.hangs
    for lead_id, outcome in plain.outcomes.items():
        if lead_id in plan.hangs:
            continue
        assert plan.outcomes[lead_id] == outcome
        assert [(e.offset, e.event) for e in lead_stream(plan, lead_id)] == [
            (e.offset, e.event) for e in lead_stream(plain, lead_id)]


def test_hang_agent_fixes_the_agent_and_a_run_hangs_only_in_an_agent_it_reaches() -> None:
    plan = plan_job(options(hang_rate=1.0, hang_agent="lead_qualification", failure_rate=0.0), 1)
    assert set(plan.hangs) == set(plan.outcomes) and set(plan.hangs.values()) == {"LeadQualificationAgent"}
    assert set(plan.outcomes.values()) == {"stalled"}
    # Runs that fail before the last agent cannot hang in it; they fail as planned.
    late = plan_job(options(hang_rate=1.0, hang_agent="InternalBriefingSummaryAgent", failure_rate=0.6), 1)
    failed = {k for k, v in late.outcomes.items() if v == "failed"}
    assert failed and not failed & set(late.hangs) and len(late.hangs) + len(failed) == 10


def test_random_hang_agents_come_from_the_enrichment_agents() -> None:
    names = {a[0] for a in ENRICHMENT_AGENTS}
    hung = {agent for seed in range(6) for agent in plan_job(options(hang_rate=1.0, seed=seed), 1).hangs.values()}
    assert len(hung) > 3 and hung <= names


def test_enrichment_agent_takes_any_spelling() -> None:
    for spelling in ("ContactExtractionAgent", "contact_extraction_agent", "contact-extraction", "CONTACTEXTRACTION"):
        assert enrichment_agent(spelling) == "ContactExtractionAgent"
    with pytest.raises(ValueError, match="TavilyEnrichmentAgent"):
        enrichment_agent("HarvesterAgent")
    with pytest.raises(ValueError):
        plan_job(options(hang_rate=0.5, hang_agent="nobody"), 1)


def test_the_job_line_and_json_name_the_stalled_leads() -> None:
    plan = plan_job(options(hang_rate=1.0, hang_agent="tavily_enrichment", failure_rate=0.0, leads=2), 1)
    result = JobResult(plan, ReportSummary(), unique_ids=1, deliveries=1, seconds=0.0)
    assert "2 leads (0 enriched, 0 failed, 2 stalled in TavilyEnrichmentAgent)" in result.line()
    data = result.as_dict()
    assert data["hangs"] == plan.hangs and set(data["leads"].values()) == {"stalled"}


@pytest.mark.parametrize("args, message", [
    (["--hang-agent", "tavily"], "needs --hang-rate"),
    (["--hang-rate", "0.5", "--hang-agent", "nobody"], "no enrichment agent"),
    (["--hang-rate", "1.5"], "between 0 and 1"),
])
def test_the_cli_refuses_bad_hang_options(args, message, tmp_path) -> None:
    # Run from elsewhere: from client/python, `-m` would import the source
    # tree (without its generated protos) instead of the installed package.
    proc = subprocess.run([sys.executable, "-m", "leadboard.sim", *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_the_cli_documents_the_hang_options(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "leadboard.sim", "--help"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert proc.returncode == 0 and "--hang-rate" in proc.stdout and "--hang-agent" in proc.stdout
