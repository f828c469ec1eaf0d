"""Salespeople on the board: once the pipeline has enriched a lead, people move it.

With ``--salespeople N`` each job also plays a sales team (Ana, Bruno, ...):
a salesperson picks up some of the enriched cards and moves each one along
the people's columns (reviewing, first messages, negotiating, meeting
scheduled, or disqualified) with a note, each move conditional on the
revision of the card they saw (``expected_revision``). Sometimes two
salespeople act on the same card at the same moment: one wins, the other
gets a :class:`leadboard.ConflictError` naming who moved it where, logs it,
and leaves the card to the winner.

The steps (who, where, when, which note, which races) are planned with the
job, deterministically from the seed; who wins a race is up to the server.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from .._proto import lead_pb2
from ..aio import AsyncClient
from ..errors import ConflictError, LeadboardError, NotFoundError
from . import _sample_data as data

__all__ = ["DEFAULT_PEOPLE_STAGES", "SalesStep", "SalesResult", "salespeople", "plan_sales", "play_sales"]

#: The default board's people's columns, in order; the last one ends a card's path.
DEFAULT_PEOPLE_STAGES = ("reviewing", "first_messages", "negotiating", "meeting_scheduled", "disqualified")

# Paths a card takes through the people's columns, with their weights.
_PATHS: list[tuple[tuple[str, ...], float]] = [
    (("reviewing", "first_messages", "negotiating", "meeting_scheduled"), 0.30),
    (("reviewing", "first_messages", "negotiating"), 0.15),
    (("reviewing", "first_messages", "disqualified"), 0.15),
    (("reviewing", "disqualified"), 0.15),
    (("reviewing", "first_messages"), 0.15),
    (("reviewing",), 0.10),
]
#: Share of enriched leads a sales team picks up.
PICK_UP_RATE = 0.8
#: Share of picked-up leads on which two salespeople race for one move.
RACE_RATE = 0.3


@dataclass
class SalesStep:
    """One planned move of one card by one salesperson.

    Attributes:
        offset: virtual seconds after the job's start.
        lead_id: the card.
        person: who moves it.
        to_stage: where to.
        note: what they write.
        rival: ``(person, to_stage, note)`` of a second salesperson who moves
            the same card at the same moment, from the same revision.
    """

    offset: float
    lead_id: str
    person: str
    to_stage: str
    note: str
    rival: Optional[tuple[str, str, str]] = None


@dataclass
class SalesResult:
    """What the sales team did in one job.

    Attributes:
        moves: moves that changed a card.
        races: planned races that were played.
        conflicts: one entry per move refused with ConflictError: the
            loser, their target, and where the winner put the card.
        final: lead id -> the stage the team left the card in.
        error: the first error that stopped the team, if any.
    """

    moves: int = 0
    races: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    final: dict[str, str] = field(default_factory=dict)
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (``leadboard-simulate --json``)."""
        return {"moves": self.moves, "races": self.races, "conflicts": self.conflicts, "final": self.final,
                "error": self.error}


def _next_stage(stage: str) -> str:
    """The people's column after ``stage`` on the way to a meeting ("reviewing" after "enriched")."""
    forward = [s for s in DEFAULT_PEOPLE_STAGES if s != "disqualified"]
    if stage not in forward:
        return forward[0]
    return forward[min(forward.index(stage) + 1, len(forward) - 1)]


def salespeople(n: int) -> list[str]:
    """The first ``n`` names of the sales team ("Ana", "Bruno", ...; "Vendedor 11" beyond the list)."""
    names = data.SALESPEOPLE[: max(0, n)]
    return names + [f"Vendedor {i + 1}" for i in range(len(names), n)]


def plan_sales(
    seed: Any, job_id: str, ended: dict[str, float], people: int, rng: Optional[random.Random] = None
) -> list[SalesStep]:
    """Plans the team's moves on a job's enriched leads.

    Args:
        seed: the simulation's seed (the plan is a pure function of it and ``job_id``).
        ended: lead id -> virtual offset at which the pipeline enriched it.
        people: the size of the sales team (0: no steps).
    """
    if people <= 0:
        return []
    rng = rng or random.Random(f"{seed}:{job_id}:sales")
    names = salespeople(people)
    paths, weights = zip(*_PATHS)
    steps: list[SalesStep] = []
    for lead_id, end in sorted(ended.items(), key=lambda item: (item[1], item[0])):
        if rng.random() >= PICK_UP_RATE:
            continue
        owner = rng.choice(names)
        path = rng.choices(paths, weights)[0]
        race_at = rng.randrange(len(path)) if len(names) > 1 and rng.random() < RACE_RATE else None
        t = end + rng.uniform(20, 120)
        previous = "enriched"
        for k, stage in enumerate(path):
            rival = None
            if k == race_at:
                other = rng.choice([n for n in names if n != owner])
                target = rng.choice([s for s in (_next_stage(previous), "disqualified") if s not in (stage, previous)])
                rival = (other, target, rng.choice(data.SALES_NOTES[target]))
            steps.append(SalesStep(round(t, 3), lead_id, owner, stage, rng.choice(data.SALES_NOTES[stage]), rival))
            previous = stage
            t += rng.uniform(60, 600)
    return sorted(steps, key=lambda s: (s.offset, s.lead_id))


async def _wait_until_enriched(
    client: AsyncClient, lead_id: str, pipeline_done: asyncio.Event, poll: float
) -> Optional[lead_pb2.Lead]:
    """The lead once the server has it enriched; None if the pipeline ended without that."""
    while True:
        done = pipeline_done.is_set()  # read before the lead: a lead read after it is final
        try:
            lead = await client.get_lead(lead_id)
        except NotFoundError:  # its events are not stored yet
            lead = None
        if lead is not None and lead.status == lead_pb2.LEAD_STATUS_ENRICHED:
            return lead
        if done:
            return None
        await asyncio.sleep(poll)


async def play_sales(
    client: AsyncClient,
    steps: Sequence[SalesStep],
    companies: dict[str, str],
    *,
    clock: Callable[[float], Any],
    pipeline_done: asyncio.Event,
    log: Callable[[str], None] = lambda line: None,
    poll: float = 0.2,
) -> SalesResult:
    """Plays the planned moves, each card's steps in order, the cards concurrently.

    Args:
        clock: ``await clock(offset)`` returns once the virtual ``offset`` is due.
        pipeline_done: set once every event of the job is stored; a card not
            enriched by then is skipped.
        log: receives one line per conflict.
    """
    result = SalesResult()
    by_lead: dict[str, list[SalesStep]] = {}
    for step in steps:
        by_lead.setdefault(step.lead_id, []).append(step)

    async def move(person: str, lead_id: str, stage: str, note: str, revision: int) -> Any:
        try:
            return await client.move_lead(lead_id, stage, expected_revision=revision, note=note, actor=person)
        except ConflictError as e:
            company = companies.get(lead_id, lead_id)
            result.conflicts.append({"lead_id": lead_id, "person": person, "to_stage": stage,
                                     "winner": e.actor, "stage": e.current_stage, "revision": e.current_revision})
            log(f"{person} tried to move {company} to {stage}, but {e.actor or 'someone'} had moved it to "
                f"{e.current_stage} first (revision {e.current_revision}); {person} leaves it there")
            return e

    async def work(lead_id: str, lead_steps: list[SalesStep]) -> None:
        revision: Optional[int] = None
        for step in lead_steps:
            await clock(step.offset)
            if revision is None:
                lead = await _wait_until_enriched(client, lead_id, pipeline_done, poll)
                if lead is None:
                    return
                revision = int(lead.revision)
            if step.rival is None:
                outcomes = [await move(step.person, lead_id, step.to_stage, step.note, revision)]
            else:
                result.races += 1
                rival, rival_stage, rival_note = step.rival
                outcomes = list(await asyncio.gather(
                    move(step.person, lead_id, step.to_stage, step.note, revision),
                    move(rival, lead_id, rival_stage, rival_note, revision),
                ))
            won = [o for o in outcomes if not isinstance(o, ConflictError)]
            for o in won:
                result.moves += int(o.moved)
                result.final[lead_id] = o.lead.stage
                revision = o.revision
            if isinstance(outcomes[0], ConflictError):
                if won:  # the rival won the race: the card is theirs now
                    return
                # Someone else (not a planned rival) changed the card: stop working it.
                result.final[lead_id] = outcomes[0].current_stage
                return

    tasks = [asyncio.create_task(work(lead_id, lead_steps)) for lead_id, lead_steps in by_lead.items()]
    try:
        await asyncio.gather(*tasks)
    except LeadboardError as e:
        result.error = str(e)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return result
