"""People move cards: move_lead against a real leadboard-server."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import grpc
import pytest

import leadboard
from leadboard import ActorKind
from leadboard.sim import JobPlan, SimOptions, plan_job

ServerProcess = Any  # the `server` fixture's type (tests/conftest.py)

PERSON = ActorKind.ACTOR_KIND_PERSON


@pytest.fixture
def board(server: ServerProcess) -> Iterator[leadboard.Client]:
    """A client of a fresh server."""
    with leadboard.Client(server.target) as client:
        yield client


def report_enriched(client: leadboard.Client, run_id: str, leads: int = 2) -> tuple[JobPlan, int]:
    """Reports a job whose leads all end enriched, in the past; returns it and the revision after it."""
    start = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=2)
    plan = plan_job(SimOptions(leads=leads, seed=17, failure_rate=0.0, warning_rate=0.0, duplicate_rate=0.0,
                               concurrency=1, run_id=run_id, start_time=start), 1)
    assert set(plan.outcomes.values()) == {"enriched"}
    adapters: dict[str, leadboard.EventAdapter] = {}
    summary = client.report(adapters.setdefault(pe.stream, leadboard.EventAdapter()).adapt(pe.event)
                            for pe in plan.events)
    return plan, summary.last_revision


def first_lead(plan: JobPlan) -> str:
    return sorted(plan.outcomes)[0]


def counts(client: leadboard.Client, **filters: str) -> dict[str, int]:
    return {c.id: c.lead_count for c in client.get_board(**filters).columns}


# --------------------------------------------------------------------------


def test_move_lead_moves_an_enriched_lead_as_a_person(board: leadboard.Client) -> None:
    plan, last_revision = report_enriched(board, "mv")
    lead_id = first_lead(plan)
    card = board.get_lead(lead_id)
    assert card.stage == "enriched" and 0 < card.revision <= last_revision

    result = board.move_lead(lead_id, "reviewing", expected_revision=card.revision,
                             note="Perfil bom, vou revisar", actor="Ana")
    assert isinstance(result, leadboard.MoveResult) and result.moved is True
    assert result.lead.id == lead_id and result.lead.stage == "reviewing"
    # Every move is an ordinary change: the next dense revision.
    assert result.revision == last_revision + 1
    assert result.lead.stage_entered_by.kind == PERSON and result.lead.stage_entered_by.name == "Ana"
    assert result.lead.stage_note == "Perfil bom, vou revisar"

    assert board.get_lead(lead_id).stage == "reviewing"
    assert [lead.id for lead in board.list_leads(stage="reviewing")] == [lead_id]
    by_stage = counts(board, job_id=plan.job_id)
    assert by_stage["reviewing"] == 1 and by_stage["enriched"] == len(plan.outcomes) - 1
    columns = {c.id: c for c in board.get_board().columns}
    # The columns alone: the same columns, nothing counted.
    bare = board.get_board(columns_only=True).columns
    assert [c.id for c in bare] == list(columns) and all(c.lead_count == 0 for c in bare)
    assert columns["enriched"].lead_count > 0
    assert all(columns[s].accepts_moves for s in ("reviewing", "first_messages", "negotiating",
                                                  "meeting_scheduled", "disqualified", "enriched"))
    assert not columns["research"].accepts_moves and not columns["failed"].accepts_moves

    # Unconditional moves, and back to the success column.
    onward = board.move_lead(lead_id, "first_messages", note="E-mail enviado", actor="Ana")
    assert onward.moved and onward.lead.stage == "first_messages" and onward.revision == result.revision + 1
    back = board.move_lead(lead_id, "enriched", expected_revision=onward.revision, actor="Bruno")
    assert back.moved and back.lead.stage == "enriched" and back.lead.stage_entered_by.name == "Bruno"


def test_moving_a_lead_to_the_stage_it_is_in_changes_nothing(board: leadboard.Client) -> None:
    plan, _ = report_enriched(board, "noop")
    lead_id = first_lead(plan)
    moved = board.move_lead(lead_id, "negotiating", actor="Ana", note="Pediram proposta")
    assert moved.moved

    again = board.move_lead(lead_id, "negotiating", expected_revision=moved.revision, actor="Ana")
    assert again.moved is False
    assert again.revision == moved.revision and again.lead.stage == "negotiating"
    unconditional = board.move_lead(lead_id, "negotiating", actor="Bruno", note="ignored")
    assert unconditional.moved is False and unconditional.revision == moved.revision
    lead = board.get_lead(lead_id)
    assert lead.revision == moved.revision and lead.stage_entered_by.name == "Ana"
    assert lead.stage_note == "Pediram proposta"
    # No revision was spent: the next change is the one right after the move.
    nxt = board.move_lead(lead_id, "meeting_scheduled", expected_revision=moved.revision, actor="Ana")
    assert nxt.moved and nxt.revision == moved.revision + 1


def test_a_stale_move_raises_conflict_naming_the_winner(board: leadboard.Client) -> None:
    plan, _ = report_enriched(board, "cas")
    lead_id = first_lead(plan)
    seen = board.get_lead(lead_id).revision

    ana = board.move_lead(lead_id, "first_messages", expected_revision=seen, note="LinkedIn", actor="Ana")
    with pytest.raises(leadboard.ConflictError) as info:
        board.move_lead(lead_id, "disqualified", expected_revision=seen, note="Sem fit", actor="Bruno")
    err = info.value
    assert isinstance(err, leadboard.AbortedError) and isinstance(err, leadboard.LeadboardError)
    assert err.code == grpc.StatusCode.ABORTED
    assert err.reason == "REVISION_MISMATCH" and err.domain == "leadboard.v1"
    assert (err.current_stage, err.current_revision, err.actor) == ("first_messages", ana.revision, "Ana")
    assert err.actor_kind == PERSON
    lead = board.get_lead(lead_id)
    assert (lead.stage, lead.revision) == ("first_messages", ana.revision), "the losing move changed the lead"

    # Bruno retries from what the error told him.
    bruno = board.move_lead(lead_id, "disqualified", expected_revision=err.current_revision, actor="Bruno")
    assert bruno.moved and bruno.lead.stage == "disqualified" and bruno.revision == ana.revision + 1


def test_two_people_at_once_one_wins(board: leadboard.Client) -> None:
    plan, _ = report_enriched(board, "race")
    lead_id = first_lead(plan)
    seen = board.get_lead(lead_id).revision
    start = threading.Barrier(2)

    def move(person: str, stage: str) -> Any:
        start.wait(5)
        try:
            return board.move_lead(lead_id, stage, expected_revision=seen, actor=person)
        except leadboard.ConflictError as e:
            return e

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(move, ["Ana", "Bruno"], ["negotiating", "disqualified"]))
    won = [o for o in outcomes if isinstance(o, leadboard.MoveResult)]
    lost = [o for o in outcomes if isinstance(o, leadboard.ConflictError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    winner = won[0]
    assert lost[0].current_stage == winner.lead.stage and lost[0].current_revision == winner.revision
    assert lost[0].actor == winner.lead.stage_entered_by.name
    assert board.get_lead(lead_id).stage == winner.lead.stage


def test_an_invalid_stage_raises_invalid_argument_naming_to_stage(board: leadboard.Client) -> None:
    plan, _ = report_enriched(board, "bad")
    lead_id = first_lead(plan)
    before = board.get_lead(lead_id)
    for stage in ("no-such-column", "research", "failed", ""):
        with pytest.raises(leadboard.InvalidArgumentError) as info:
            board.move_lead(lead_id, stage, actor="Ana")
        err = info.value
        assert err.code == grpc.StatusCode.INVALID_ARGUMENT
        assert "to_stage" in {v.field for v in err.field_violations} or "to_stage" in err.details, (stage, err)
        assert "to_stage" in str(err)
    after = board.get_lead(lead_id)
    assert (after.stage, after.revision) == (before.stage, before.revision)


def test_a_lead_mid_run_is_refused(board: leadboard.Client) -> None:
    base = {"job_id": "job-midrun", "user_id": "ana", "timestamp": "2026-09-01T10:00:00"}
    board.report([
        dict(base, event_type="lead_generated", lead_id="mid-1", lead_data={"company_name": "DataSync Pro"}),
        dict(base, event_type="lead_enrichment_start", lead_id="mid-1", company_name="DataSync Pro"),
        dict(base, event_type="agent_start", agent_name="TavilyEnrichmentAgent"),
    ])
    before = board.get_lead("mid-1")
    assert before.stage == "research" and before.status == leadboard.LeadStatus.LEAD_STATUS_ENRICHING
    with pytest.raises(leadboard.FailedPreconditionError) as info:
        board.move_lead("mid-1", "reviewing", expected_revision=before.revision, actor="Ana")
    assert info.value.code == grpc.StatusCode.FAILED_PRECONDITION
    after = board.get_lead("mid-1")
    assert (after.stage, after.revision) == ("research", before.revision)
    # A lead_generated without an agent: the pipeline put the lead on the board.
    assert (after.history[0].stage, after.history[0].entered_by.kind, after.history[0].entered_by.name) == (
        "harvested", ActorKind.ACTOR_KIND_PIPELINE, "LEAD_GENERATED")


def test_an_unknown_lead_is_not_found(board: leadboard.Client) -> None:
    with pytest.raises(leadboard.NotFoundError):
        board.move_lead("no-such-lead", "reviewing", actor="Ana")


def test_get_lead_returns_the_stage_history(board: leadboard.Client) -> None:
    plan, _ = report_enriched(board, "hist")
    lead_id = first_lead(plan)
    first = board.move_lead(lead_id, "reviewing", note="Revisando o pacote", actor="Ana")
    second = board.move_lead(lead_id, "first_messages", expected_revision=first.revision,
                             note="Primeiro e-mail", actor="Bruno")

    lead = board.get_lead(lead_id)
    stages = [v.stage for v in lead.history]
    assert stages[0] == "harvested"
    assert stages[-3:] == ["enriched", "reviewing", "first_messages"]
    assert {"intake", "research", "qualification", "strategy", "outreach"} <= set(stages)
    revisions = [v.revision for v in lead.history]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    assert revisions[-2:] == [first.revision, second.revision]

    harvested, *_, enriched, reviewing, current = lead.history
    # The simulator's lead_generated names the agent that harvested the lead.
    assert (harvested.entered_by.kind, harvested.entered_by.name) == (ActorKind.ACTOR_KIND_AGENT, "HarvesterAgent")
    assert enriched.entered_by.kind in (ActorKind.ACTOR_KIND_PIPELINE, ActorKind.ACTOR_KIND_AGENT)
    assert (reviewing.entered_by.kind, reviewing.entered_by.name, reviewing.note) == (
        PERSON, "Ana", "Revisando o pacote")
    assert (current.entered_by.kind, current.entered_by.name, current.note) == (PERSON, "Bruno", "Primeiro e-mail")
    for visit in lead.history[:-1]:
        assert visit.HasField("left_at") and visit.left_at.ToDatetime() >= visit.entered_at.ToDatetime()
    assert not current.HasField("left_at")
    assert all(v.duration.ToTimedelta() >= dt.timedelta(0) for v in lead.history)

    by_stage = {t.stage: t for t in lead.time_in_stage}
    assert set(stages) <= set(by_stage)
    for stage in set(stages):
        assert by_stage[stage].visits == stages.count(stage)
        assert by_stage[stage].total.ToTimedelta() >= dt.timedelta(0)
    board_order = [c.id for c in board.get_board().columns]
    listed = [t.stage for t in lead.time_in_stage]
    assert listed == [s for s in board_order if s in listed], "time_in_stage is in board order"

    # Cards (lists and watches) carry no history.
    (card,) = [c for c in board.list_leads(job_id=plan.job_id) if c.id == lead_id]
    assert len(card.history) == 0 and card.stage == "first_messages"


def test_a_watch_sees_the_move_with_the_person_and_the_note(board: leadboard.Client) -> None:
    plan, last_revision = report_enriched(board, "watch")
    lead_id = first_lead(plan)
    watch = board.watch(since_revision=last_revision)
    moved = board.move_lead(lead_id, "meeting_scheduled", note="Reunião quinta 10h", actor="Carla")
    seen = []
    for event in watch:
        seen.append(event)
        if event.kind == "moved":
            break
    watch.cancel()
    event = seen[-1]
    assert event.kind == "moved" and event.revision == moved.revision
    assert (event.actor, event.actor_kind, event.note) == ("Carla", PERSON, "Reunião quinta 10h")
    assert event.previous_stage == "enriched" and event.lead.stage == "meeting_scheduled"


def test_async_client_moves_and_raises_conflict(board: leadboard.Client, server: ServerProcess) -> None:
    plan, _ = report_enriched(board, "amv")
    lead_id = first_lead(plan)

    async def scenario() -> None:
        async with leadboard.AsyncClient(server.target) as client:
            seen = (await client.get_lead(lead_id)).revision
            result = await client.move_lead(lead_id, "reviewing", expected_revision=seen, note="ok", actor="Ana")
            assert result.moved and result.lead.stage == "reviewing"
            lead, moved = await client.move_lead(lead_id, "reviewing", actor="Ana")
            assert moved is False and lead.revision == result.revision
            with pytest.raises(leadboard.ConflictError) as info:
                await client.move_lead(lead_id, "disqualified", expected_revision=seen, actor="Bruno")
            assert (info.value.current_stage, info.value.current_revision, info.value.actor) == (
                "reviewing", result.revision, "Ana")
            with pytest.raises(leadboard.InvalidArgumentError):
                await client.move_lead(lead_id, "research")
            history = (await client.get_lead(lead_id)).history
            assert history[-1].stage == "reviewing" and history[-1].entered_by.name == "Ana"

    asyncio.run(scenario())


def test_simulated_salespeople_move_cards_and_lose_races(board: leadboard.Client, server: ServerProcess) -> None:
    exe = shutil.which("leadboard-simulate", path=str(Path(sys.executable).parent))
    start = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3)).replace(tzinfo=None).isoformat()
    # Seed 3 plans races in both jobs (tests/test_sales_plan.py checks the plans themselves).
    proc = subprocess.run(
        [exe, "--target", server.target, "--speed", "0", "--seed", "3", "--run-id", "team", "--jobs", "2",
         "--leads", "8", "--failure-rate", "0.2", "--duplicate-rate", "0.05", "--salespeople", "3",
         "--start-time", start, "--json", "--user", "ana"],
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    jobs = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(jobs) == 2
    plans = {p.job_id: p for p in (plan_job(SimOptions(leads=8, seed=3, run_id="team", salespeople=3,
                                                       failure_rate=0.2, duplicate_rate=0.05), i) for i in (1, 2))}
    total_races = 0
    for job in jobs:
        sales = job["sales"]
        assert job["error"] == "" and sales["error"] == ""
        plan = plans[job["job_id"]]
        assert sales["moves"] > 0 and sales["final"]
        assert sales["races"] == sum(1 for s in plan.sales if s.rival)
        # Every race has exactly one loser, and the loser heard who won.
        assert len(sales["conflicts"]) == sales["races"]
        for conflict in sales["conflicts"]:
            assert conflict["winner"] and conflict["winner"] != conflict["person"]
            assert conflict["stage"] in ("reviewing", "first_messages", "negotiating", "meeting_scheduled",
                                         "disqualified")
        total_races += sales["races"]
        leads = {lead.id: lead for lead in board.list_leads(job_id=job["job_id"])}
        for lead_id, stage in sales["final"].items():
            assert leads[lead_id].stage == stage
            assert leads[lead_id].stage_entered_by.kind == PERSON
        for lead_id, outcome in job["leads"].items():
            if lead_id not in sales["final"]:
                assert leads[lead_id].stage == outcome
        moved = next(iter(sales["final"]))
        people = [v for v in board.get_lead(moved).history if v.entered_by.kind == PERSON]
        assert people and all(v.note and v.entered_by.name in ("Ana", "Bruno", "Carla") for v in people)
    assert total_races > 0
    assert "had moved it to" in proc.stderr  # the losers' log lines
