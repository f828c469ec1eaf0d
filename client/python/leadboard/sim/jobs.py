"""Plans and plays simulated prospecting jobs (see :mod:`leadboard.sim`).

A job harvests N leads (``lead_generated``, then LeadIntakeAgent and
LeadAnalysisAgent), then enriches them with the 15 enrichment agents in the
pipelines' order, ``concurrency`` leads at a time, with tool calls and
status lines, and ends each lead with ``pipeline_end`` + ``final_package``
(or ``lead_enrichment_end`` + ``data``), or with ``pipeline_error`` and an
unsuccessful ``lead_enrichment_end``. Some agents fail without failing the
lead (a warning). Every event may be delivered twice. With ``hang_rate``,
some runs hang: an agent starts and nothing more is sent for that lead, nor
the job's end, so the board flags the lead (and the job) stalled.

The plan of a job (companies, timings, failures, duplicates, hangs) is a
pure function of the seed and the job's number; ids also depend on the run
id.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import heapq
import random
import re
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Optional

from .._proto import event_pb2
from ..adapter import EventAdapter, EventContext
from ..aio import AsyncClient
from ..errors import LeadboardError
from ..summary import ReportSummary
from . import _sample_data as data
from .sales import SalesResult, SalesStep, plan_sales, play_sales

__all__ = ["SimOptions", "JobPlan", "JobResult", "PlannedEvent", "plan_job", "play_job", "ENRICHMENT_AGENTS",
           "PRE_AGENTS", "enrichment_agent"]

# (agent, description, (min, max) seconds in real life, tool or None, package section)
PRE_AGENTS: list[tuple[str, str, tuple[float, float], Optional[str], Optional[str]]] = [
    ("LeadIntakeAgent", "Valida e normaliza o lead coletado", (2, 5), None, None),
    ("LeadAnalysisAgent", "Analisa o site e o setor da empresa", (8, 20), "web_scraper", None),
]
ENRICHMENT_AGENTS: list[tuple[str, str, tuple[float, float], Optional[str], Optional[str]]] = [
    ("TavilyEnrichmentAgent", "Pesquisa na web sobre a empresa", (15, 40), "tavily_search", "external_intelligence"),
    ("ContactExtractionAgent", "Extrai contatos e perfis sociais", (8, 20), "web_scraper", "contact_information"),
    ("PainPointDeepeningAgent", "Aprofunda as dores do prospect", (10, 25), None, "pain_point_analysis"),
    ("LeadQualificationAgent", "Qualifica o lead", (6, 15), None, "lead_qualification"),
    ("CompetitorIdentificationAgent", "Identifica concorrentes", (10, 25), "tavily_search", "competitor_intelligence"),
    ("BuyingTriggerIdentificationAgent", "Identifica gatilhos de compra", (8, 20), "tavily_search", "purchase_triggers"),
    ("ValuePropositionCustomizationAgent", "Personaliza propostas de valor", (10, 20), None, None),
    ("StrategicQuestionGenerationAgent", "Gera perguntas estratégicas", (6, 15), None, None),
    ("ToTStrategyGenerationAgent", "Gera estratégias (tree of thought)", (15, 35), None, None),
    ("ToTStrategyEvaluationAgent", "Avalia as estratégias", (12, 25), None, None),
    ("ToTActionPlanSynthesisAgent", "Sintetiza o plano de ação", (10, 20), None, None),
    ("DetailedApproachPlanAgent", "Detalha o plano de abordagem", (15, 30), None, "detailed_approach_plan"),
    ("ObjectionHandlingAgent", "Prepara respostas a objeções", (8, 18), None, "objection_framework"),
    ("B2BPersonalizedMessageAgent", "Escreve a mensagem personalizada", (10, 20), None, "enhanced_personalized_message"),
    ("InternalBriefingSummaryAgent", "Resume o briefing interno", (8, 16), None, "internal_briefing"),
]


def _agent_key(name: str) -> str:
    """The board's key of an agent name: letters and digits, lower case, one trailing "agent" dropped."""
    key = re.sub(r"[^0-9a-z]", "", name.lower())
    return key[: -len("agent")] if key.endswith("agent") and len(key) > len("agent") else key


def enrichment_agent(name: str) -> str:
    """The enrichment agent ``name`` designates, however it is spelled
    (``ContactExtractionAgent``, ``contact_extraction``, ``contact-extraction-agent``).

    Raises:
        ValueError: no enrichment agent has that name (the message lists them).
    """
    key = _agent_key(name)
    for agent in ENRICHMENT_AGENTS:
        if _agent_key(agent[0]) == key:
            return agent[0]
    raise ValueError(f"no enrichment agent {name!r}; one of: {', '.join(a[0] for a in ENRICHMENT_AGENTS)}")


@dataclass
class SimOptions:
    """What to simulate. Rates are probabilities in 0..1.

    ``hang_rate`` is the share of lead runs in which one agent starts and then
    nothing more is sent for that lead (nor the job's end); ``hang_agent``
    picks that agent (any spelling of an enrichment agent's name), else a
    random one among those the run reaches.
    """

    jobs: int = 1
    leads: int = 5
    seed: int = 0
    failure_rate: float = 0.1
    duplicate_rate: float = 0.05
    warning_rate: Optional[float] = None  # default: failure_rate / 2
    concurrency: int = 3
    user: str = "demo"
    run_id: str = "run"
    start_time: Optional[dt.datetime] = None  # virtual clock origin (naive UTC)
    salespeople: int = 0  # size of the sales team that moves enriched cards (0: none)
    hang_rate: float = 0.0  # share of lead runs that hang in an agent
    hang_agent: Optional[str] = None  # the agent that hangs (default: a random one)


@dataclass
class PlannedEvent:
    """One delivery of a job's plan: at ``offset`` virtual seconds, on ``stream``."""

    offset: float
    seq: int
    stream: str
    event: dict[str, Any]
    dup_of: Optional[int] = None  # index of the original delivery, for duplicates


@dataclass
class JobPlan:
    """Everything one job will send, and how its leads must end."""

    job_id: str
    user_id: str
    query: str
    events: list[PlannedEvent]
    outcomes: dict[str, str]  # lead_id -> "enriched" | "failed" | "stalled" (hangs mid-run)
    companies: dict[str, str]  # lead_id -> company name
    duration: float  # virtual seconds
    ended: dict[str, float] = field(default_factory=dict)  # enriched lead_id -> offset of its end
    sales: list[SalesStep] = field(default_factory=list)  # the sales team's moves, after the ends
    hangs: dict[str, str] = field(default_factory=dict)  # lead_id -> the agent it hangs in (outcome "stalled")

    @property
    def deliveries(self) -> int:
        return len(self.events)

    @property
    def duplicate_deliveries(self) -> int:
        return sum(1 for e in self.events if e.dup_of is not None)


def _iso(origin: dt.datetime, offset: float) -> str:
    return (origin + dt.timedelta(seconds=offset)).isoformat(timespec="microseconds")


def plan_job(options: SimOptions, job_index: int) -> JobPlan:
    """Plans job number ``job_index`` (deterministic in seed, run id and index).

    Raises:
        ValueError: ``hang_agent`` names no enrichment agent.
    """
    rng = random.Random(f"{options.seed}:{job_index}")
    # Hangs have their own random stream, and a hanging run is planned whole
    # and then cut: every other lead's events are the same with or without them.
    hang_rng = random.Random(f"{options.seed}:{job_index}:hang")
    hang_index = (None if options.hang_agent is None
                  else [a[0] for a in ENRICHMENT_AGENTS].index(enrichment_agent(options.hang_agent)))
    hangs: dict[str, str] = {}
    origin = options.start_time or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    job_id = f"job-{options.run_id}-{job_index:03d}"
    user = options.user
    warning_rate = options.failure_rate / 2 if options.warning_rate is None else options.warning_rate
    query = rng.choice(data.QUERIES)
    raw: list[tuple[float, str, dict[str, Any], bool]] = []  # (offset, stream, dict, lead_switch)
    jitter = lambda: rng.randint(1, 999) / 1e6  # noqa: E731 - distinct microseconds

    def emit(offset: float, stream: str, event_type: str, switch: bool = False, **fields: Any) -> None:
        d: dict[str, Any] = {"event_type": event_type, "timestamp": None, "job_id": job_id, "user_id": user}
        d.update(fields)
        raw.append((offset + jitter(), stream, d, switch))

    emit(0.0, "job", "pipeline_start", initial_query=query, max_leads_to_generate=options.leads)
    emit(0.4, "job", "status_update", status_message="Iniciando busca de leads", progress_percentage=0)

    companies = rng.sample(data.COMPANIES, k=min(options.leads, len(data.COMPANIES)))
    while len(companies) < options.leads:
        base = rng.choice(data.COMPANIES)
        companies.append(dict(base, company_name=f"{base['company_name']} {len(companies) + 1}"))
    leads = [(f"lead-{options.run_id}-{job_index:03d}-{i:02d}", c) for i, c in enumerate(companies)]

    def agent_run(t: float, stream: str, agent: tuple, lead_id: Optional[str], ok: bool,
                  progress: Optional[float], err: Optional[tuple[str, str]], company: str) -> float:
        name, desc, (lo, hi), tool, _ = agent
        dur = round(rng.uniform(lo, hi), 2)
        emit(t, stream, "agent_start", agent_name=name, agent_description=desc,
             input_query=f"{company}")
        if progress is not None and rng.random() < 0.5:
            emit(t + 0.2, stream, "status_update", agent_name=name, status_message=f"{desc}...",
                 progress_percentage=round(progress, 1))
        if tool:
            emit(t + 0.5, stream, "tool_call_start", tool_name=tool, agent_name=name,
                 tool_args={"query": f"{company} {desc.lower()}"})
            emit(t + dur * 0.5, stream, "tool_call_output", tool_name=tool, agent_name=name,
                 output_snippet=f"Resultados de {tool}: 5 fontes encontradas")
            emit(t + dur * 0.6, stream, "tool_call_end", tool_name=tool, agent_name=name, is_final=True,
                 success=True)
        if ok:
            emit(t + dur, stream, "agent_end", agent_name=name, execution_time_seconds=dur, success=True,
                 final_response=f"{name} concluído para {company}",
                 error_message=None)
        else:
            etype, emsg = err or ("RuntimeError", "agent failed")
            emit(t + dur, stream, "agent_end", agent_name=name, execution_time_seconds=dur, success=False,
                 final_response=None, error_message=emsg)
            fields: dict[str, Any] = {"agent_name": name, "error_type": etype}
            fields["error" if rng.random() < 0.5 else "error_message"] = emsg
            if tool:
                fields["tool_name"] = tool
            if rng.random() < 0.5 and lead_id:
                fields["lead_id"] = lead_id
            emit(t + dur + 0.05, stream, "pipeline_error", **fields)
        return t + dur + rng.uniform(0.1, 0.6)

    lead_company = {lid: c["company_name"] for lid, c in leads}

    # Harvest: sequential, on the job's own stream.
    t = 1.0
    ready: list[tuple[float, str, dict[str, str]]] = []
    for i, (lead_id, company) in enumerate(leads):
        t += rng.uniform(2, 6)
        emit(t - 0.5, "job", "status_update", status_message=f"Buscando leads: {i + 1}/{len(leads)}",
             progress_percentage=round(100 * i / max(1, len(leads)), 1))
        lead_data = {k: v for k, v in company.items() if k != "description" or rng.random() < 0.8}
        emit(t, "job", "lead_generated", switch=True, lead_id=lead_id, lead_data=lead_data,
             source_url=f"https://www.google.com/search?q={data.slug(company['company_name'])}",
             agent_name="HarvesterAgent")
        t += 0.3
        for agent in PRE_AGENTS:
            t = agent_run(t, "job", agent, lead_id, True, None, None, company["company_name"])
        ready.append((t, lead_id, company))

    # Enrichment: --concurrency workers, each lead on its own stream.
    slots = [0.0] * max(1, options.concurrency)
    heapq.heapify(slots)
    outcomes: dict[str, str] = {}
    ended: dict[str, float] = {}
    job_end = t
    for ready_at, lead_id, company in ready:
        stream = f"lead:{lead_id}"
        start = max(ready_at, heapq.heappop(slots)) + rng.uniform(0.1, 1.0)
        roll = rng.random()
        fail_at = rng.randrange(len(ENRICHMENT_AGENTS)) if roll < options.failure_rate else None
        warn_at = (
            rng.randrange(len(ENRICHMENT_AGENTS))
            if fail_at is None and rng.random() < warning_rate
            else None
        )
        err = rng.choice(data.ERRORS)
        if options.hang_rate > 0 and hang_rng.random() < options.hang_rate:
            reached = len(ENRICHMENT_AGENTS) - 1 if fail_at is None else fail_at
            k = hang_rng.randint(0, reached) if hang_index is None else hang_index
            if k <= reached:  # a run that fails before the agent cannot hang in it
                hangs[lead_id] = ENRICHMENT_AGENTS[k][0]
        emit(start, stream, "lead_enrichment_start", switch=True, lead_id=lead_id,
             company_name=company["company_name"])
        t = start + 0.2
        failed_sections: set[str] = set()
        for k, agent in enumerate(ENRICHMENT_AGENTS):
            ok = k != fail_at and k != warn_at
            t = agent_run(t, stream, agent, None, ok, 100.0 * k / len(ENRICHMENT_AGENTS), err,
                          company["company_name"])
            if k == warn_at and agent[4]:
                failed_sections.add(agent[4])
            if k == fail_at:
                break
        if fail_at is not None:
            emit(t, stream, "lead_enrichment_end", switch=True, lead_id=lead_id, success=False,
                 final_package=None, error_message=f"{ENRICHMENT_AGENTS[fail_at][0]} failed: {err[1]}")
            outcomes[lead_id] = "failed"
        else:
            package = data.enrichment_package(rng, lead_id, company, failed_sections, _iso(origin, t))
            if rng.random() < 0.8:
                emit(t, stream, "pipeline_end", switch=True, lead_id=lead_id, success=True,
                     final_package=package, execution_time_seconds=round(t - start, 2))
            else:
                emit(t, stream, "lead_enrichment_end", switch=True, lead_id=lead_id, success=True,
                     data=package, error_message=None)
            outcomes[lead_id] = "enriched"
            ended[lead_id] = t
        heapq.heappush(slots, t)
        job_end = max(job_end, t)

    emit(job_end + 0.5, "job", "status_update", status_message="Pipeline concluído", progress_percentage=100)
    emit(job_end + 1.0, "job", "pipeline_end", success=True, total_leads_generated=len(leads),
         execution_time_seconds=round(job_end + 1.0, 2), error_message=None)
    job_end_events = [raw[-2][2], raw[-1][2]]

    # Order deliveries, then add duplicates: a copy delivered a little later on
    # the same stream, never after the stream's next lead switch (the adapter
    # would attribute a late lead-less copy to the next lead, as it would in
    # a real pipeline).
    raw.sort(key=lambda r: r[0])
    events: list[PlannedEvent] = []
    for offset, stream, d, _ in raw:
        d["timestamp"] = _iso(origin, offset)
        events.append(PlannedEvent(offset, len(events), stream, d))
    switches: dict[str, list[float]] = {}
    for (offset, stream, _, switch) in raw:
        if switch:
            switches.setdefault(stream, []).append(offset)
    dups: list[PlannedEvent] = []
    for pe in list(events):
        if rng.random() >= options.duplicate_rate:
            continue
        later = [s for s in switches.get(pe.stream, []) if s > pe.offset]
        limit = min(later) if later else float("inf")
        when = min(pe.offset + rng.uniform(0.01, 2.0), pe.offset + (limit - pe.offset) / 2)
        dups.append(PlannedEvent(when, len(events) + len(dups), pe.stream, pe.event, dup_of=pe.seq))
    events = sorted(events + dups, key=lambda e: (e.offset, e.seq))
    if hangs:
        events = _cut_hangs(events, hangs, job_end_events)
        for lead_id in hangs:
            outcomes[lead_id] = "stalled"
            ended.pop(lead_id, None)
    # The sales team has its own random stream: the pipeline's plan is the same with or without it.
    sales = plan_sales(options.seed, job_id, ended, options.salespeople)
    return JobPlan(job_id, user, query, events, outcomes, lead_company, job_end + 1.0, ended, sales, hangs)


def _cut_hangs(events: list[PlannedEvent], hangs: dict[str, str],
               job_end_events: list[dict[str, Any]]) -> list[PlannedEvent]:
    """Drops what a hanging run would never send: every delivery on the lead's
    stream after its agent's start (duplicates too), and the job's end, which
    a pipeline that awaits its leads never reaches."""
    cut: dict[str, float] = {}
    for pe in events:
        lead_id = pe.stream.removeprefix("lead:")
        if (lead_id in hangs and pe.dup_of is None and pe.event["event_type"] == "agent_start"
                and pe.event.get("agent_name") == hangs[lead_id]):
            cut[pe.stream] = pe.offset
    assert len(cut) == len(hangs), "every hanging run reaches its agent's start"
    return [pe for pe in events
            if pe.offset <= cut.get(pe.stream, float("inf")) and not any(pe.event is d for d in job_end_events)]


@dataclass
class JobResult:
    """The outcome of playing one job."""

    plan: JobPlan
    summary: ReportSummary
    unique_ids: int
    deliveries: int
    seconds: float
    error: str = ""
    sales: Optional[SalesResult] = None

    def line(self) -> str:
        enriched = sum(1 for s in self.plan.outcomes.values() if s == "enriched")
        failed = sum(1 for s in self.plan.outcomes.values() if s == "failed")
        hung = ""
        if self.plan.hangs:
            hung = f", {len(self.plan.hangs)} stalled in " + ", ".join(sorted(set(self.plan.hangs.values())))
        s = self.summary
        text = (
            f"{self.plan.job_id}: {len(self.plan.outcomes)} leads ({enriched} enriched, {failed} failed{hung}), "
            f"{self.deliveries} events sent ({self.deliveries - self.unique_ids} duplicate deliveries); "
            f"server: accepted={s.accepted} duplicates={s.duplicates} rejected={len(s.rejected)} "
            f"revision={s.last_revision} retries={s.retries}; {self.seconds:.1f}s"
        )
        if self.sales is not None:
            text += (f"; salespeople: {self.sales.moves} moves, {self.sales.races} races, "
                     f"{len(self.sales.conflicts)} conflicts")
        return text + (f"; ERROR: {self.error}" if self.error else "")

    def as_dict(self) -> dict[str, Any]:
        s = self.summary
        return {
            "job_id": self.plan.job_id,
            "user_id": self.plan.user_id,
            "leads": self.plan.outcomes,
            "hangs": self.plan.hangs,
            "deliveries": self.deliveries,
            "unique_events": self.unique_ids,
            "duplicate_deliveries": self.deliveries - self.unique_ids,
            "accepted": s.accepted,
            "duplicates": s.duplicates,
            "rejected": [r.__dict__ for r in s.rejected],
            "last_revision": s.last_revision,
            "retries": s.retries,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            **({"sales": self.sales.as_dict()} if self.sales is not None else {}),
        }


async def play_job(
    client: AsyncClient,
    plan: JobPlan,
    speed: float,
    wall_clock: bool = False,
    *,
    sales_client: Optional[AsyncClient] = None,
    log: Callable[[str], None] = lambda line: None,
) -> JobResult:
    """Plays a planned job through the adapter and ``client.report``, then its sales team.

    Args:
        speed: virtual seconds per real second (0: no sleeping; the sales
            team then moves cards once the pipeline is done).
        wall_clock: stamp events with the real time at emission instead of
            the plan's virtual clock.
        sales_client: the client the salespeople move cards with (a board
            token's; default ``client``).
        log: receives a line for each move a salesperson lost to another.
    """
    adapters: dict[str, EventAdapter] = {}
    emitted: dict[int, dict[str, Any]] = {}
    ids: set[str] = set()
    count = 0
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def clock(offset: float) -> None:
        if speed > 0:
            delay = started + offset / speed - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)

    async def events() -> AsyncIterator[event_pb2.PipelineEvent]:
        nonlocal count
        for pe in plan.events:
            await clock(pe.offset)
            if pe.dup_of is not None:
                d = copy.deepcopy(emitted[pe.dup_of])
            else:
                d = copy.deepcopy(pe.event)
                if wall_clock:
                    d["timestamp"] = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat()
                emitted[pe.seq] = d
            adapter = adapters.setdefault(pe.stream, EventAdapter(EventContext(job_id=plan.job_id, user_id=plan.user_id)))
            message = adapter.adapt(d)
            ids.add(message.event_id)
            count += 1
            yield message

    pipeline_done = asyncio.Event()

    def sales_team() -> Any:
        return _play_sales(sales_client or client, plan, clock, pipeline_done, log)

    # In real time the team works while the pipeline runs; at speed 0, after it.
    sales_task = asyncio.create_task(sales_team()) if plan.sales and speed > 0 else None
    error = ""
    summary = ReportSummary()
    sales: Optional[SalesResult] = None
    try:
        try:
            summary = await client.report(events(), raise_on_rejected=False)
        except LeadboardError as e:
            error = str(e)
        pipeline_done.set()
        if sales_task is not None:
            sales = await sales_task
        elif plan.sales:
            sales = await sales_team()
        if sales is not None and sales.error:
            error = "; ".join(filter(None, [error, f"salespeople: {sales.error}"]))
    finally:
        if sales_task is not None and not sales_task.done():
            sales_task.cancel()
            await asyncio.gather(sales_task, return_exceptions=True)
    return JobResult(plan, summary, len(ids), count, loop.time() - started, error, sales)


async def _play_sales(
    client: AsyncClient, plan: JobPlan, clock: Callable[[float], Any], pipeline_done: asyncio.Event,
    log: Callable[[str], None],
) -> SalesResult:
    """Checks that the board has the planned people's columns, then plays the sales team."""
    wanted = {s.to_stage for s in plan.sales} | {s.rival[1] for s in plan.sales if s.rival}
    try:
        board = await client.get_board(columns_only=True)
    except LeadboardError as e:
        return SalesResult(error=str(e))
    missing = wanted - {c.id for c in board.columns if c.accepts_moves}
    if missing:
        return SalesResult(error=f"the board has no people's column {', '.join(sorted(missing))} "
                                 "(--salespeople plays the default board's people's columns)")
    return await play_sales(client, plan.sales, plan.companies, clock=clock, pipeline_done=pipeline_done, log=log)
