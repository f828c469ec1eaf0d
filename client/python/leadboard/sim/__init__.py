"""The pipeline simulator behind ``leadboard-simulate``.

It plays realistic prospecting jobs against a leadboard server: a job
harvests leads, then enriches them with the pipelines' agents in their order
(tool calls, status lines, some failed leads, some agents failing without
failing the lead, some events delivered twice, and with ``hang_rate`` some
runs whose agent starts and then goes silent, which the board flags as
stalled). With ``salespeople`` it also
plays a sales team that moves the enriched cards through the people's
columns (:mod:`leadboard.sim.sales`).

The simulator emits the pipelines' own messy event dicts (``agent_start``
without ``lead_id``, errors as ``error`` or ``error_message``, naive
timestamps) and feeds them through :class:`leadboard.EventAdapter` and
:class:`leadboard.AsyncClient`, so it exercises the real integration path.

The plan of a job is a pure function of the seed and the job's number; ids
also depend on the run id (random unless given) so that repeated runs create
new cards. Run it as ``leadboard-simulate`` or ``python -m leadboard.sim``.
"""

from .cli import main
from .jobs import (
    ENRICHMENT_AGENTS,
    PRE_AGENTS,
    JobPlan,
    JobResult,
    PlannedEvent,
    SimOptions,
    enrichment_agent,
    plan_job,
    play_job,
)
from .sales import DEFAULT_PEOPLE_STAGES, SalesResult, SalesStep, plan_sales, play_sales, salespeople

__all__ = ["DEFAULT_PEOPLE_STAGES", "ENRICHMENT_AGENTS", "PRE_AGENTS", "JobPlan", "JobResult", "PlannedEvent",
           "SalesResult", "SalesStep", "SimOptions", "enrichment_agent", "main", "plan_job", "play_job",
           "plan_sales", "play_sales", "salespeople"]
