"""The simulator's sales team plan (no server needed)."""

from __future__ import annotations

import datetime as dt

from leadboard.sim import DEFAULT_PEOPLE_STAGES, SimOptions, plan_job, salespeople

START = dt.datetime(2026, 10, 1, 9, 0, 0)


def options(**kw) -> SimOptions:
    base = dict(leads=12, seed=31, failure_rate=0.3, duplicate_rate=0.1, run_id="sales", start_time=START)
    base.update(kw)
    return SimOptions(**base)


def test_the_pipeline_plan_is_the_same_with_or_without_a_sales_team() -> None:
    without = plan_job(options(), 1)
    with_team = plan_job(options(salespeople=3), 1)
    assert [(e.offset, e.stream, e.event) for e in without.events] == [
        (e.offset, e.stream, e.event) for e in with_team.events]
    assert without.outcomes == with_team.outcomes and without.sales == []
    assert with_team.sales, "a team of 3 on 12 leads plans some moves"


def test_sales_steps_follow_the_enriched_leads() -> None:
    plan = plan_job(options(salespeople=3), 1)
    assert plan.ended.keys() == {k for k, v in plan.outcomes.items() if v == "enriched"}
    team = set(salespeople(3))
    by_lead: dict[str, list] = {}
    for step in plan.sales:
        by_lead.setdefault(step.lead_id, []).append(step)
    assert set(by_lead) <= set(plan.ended)
    races = 0
    for lead_id, steps in by_lead.items():
        assert steps[0].to_stage == "reviewing"
        assert steps[0].offset > plan.ended[lead_id], "a card is moved only after the pipeline enriched it"
        assert [s.offset for s in steps] == sorted(s.offset for s in steps)
        assert len({s.person for s in steps}) == 1, "one owner per card"
        previous = "enriched"
        for step in steps:
            assert step.to_stage in DEFAULT_PEOPLE_STAGES and step.person in team and step.note
            if step.rival is not None:
                races += 1
                person, stage, note = step.rival
                assert person in team and person != step.person and note
                assert stage in DEFAULT_PEOPLE_STAGES and stage not in (step.to_stage, previous)
            previous = step.to_stage
        assert "disqualified" not in [s.to_stage for s in steps[:-1]], "disqualified ends a path"
    assert sum(1 for s in plan.sales if s.rival) == races


def test_sales_plan_is_deterministic_and_depends_on_the_seed() -> None:
    a = plan_job(options(salespeople=4), 2).sales
    b = plan_job(options(salespeople=4), 2).sales
    c = plan_job(options(salespeople=4, seed=32), 2).sales
    assert a == b and a != c


def test_some_seed_plays_a_race() -> None:
    assert any(s.rival for seed in range(5) for s in plan_job(options(salespeople=2, seed=seed), 1).sales)
    assert not any(s.rival for s in plan_job(options(salespeople=1), 1).sales), "a team of one never races"


def test_sales_team_names() -> None:
    assert salespeople(2) == ["Ana", "Bruno"]
    assert salespeople(0) == []
    team = salespeople(12)
    assert len(team) == len(set(team)) == 12 and team[-1] == "Vendedor 12"
