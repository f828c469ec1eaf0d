"""Reading a lead's agent timeline (``Lead.runs``) and stalls (``stalled_since``).

``get_lead`` returns each enrichment run of a lead with its agent steps
(``AgentRun`` / ``AgentStep`` messages, the current run last). Their
timestamps and durations are optional fields: an unset one reads as the Unix
epoch or zero in protobuf, so these helpers answer None instead::

    lead = board.get_lead("lead-42")
    run = leadboard.current_run(lead)
    for step in run.steps if run else []:
        print(step.agent_name, step.attempt, leadboard.step_status(step),
              leadboard.step_duration(step), step.error)
    if leadboard.stalled_since(lead):
        print("no event since", leadboard.stalled_since(lead))

All functions are pure and take the protobuf messages as they come.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Optional

from ._proto import lead_pb2

__all__ = ["STEP_STATUS_NAMES", "current_run", "stalled_since", "step_duration", "step_status"]

#: ``StepStatus`` value -> the name :func:`step_status` returns.
STEP_STATUS_NAMES: dict[int, str] = {
    lead_pb2.STEP_STATUS_RUNNING: "running",
    lead_pb2.STEP_STATUS_SUCCEEDED: "succeeded",
    lead_pb2.STEP_STATUS_FAILED: "failed",
    lead_pb2.STEP_STATUS_UNFINISHED: "unfinished",
}


def step_status(step: lead_pb2.AgentStep) -> str:
    """How the step ended: ``"running"``, ``"succeeded"``, ``"failed"``,
    ``"unfinished"`` (its run ended, or the agent started again, without its
    end), or ``"unspecified"`` for a status this SDK does not know."""
    return STEP_STATUS_NAMES.get(step.status, "unspecified")


def current_run(lead: lead_pb2.Lead) -> Optional[lead_pb2.AgentRun]:
    """The lead's latest run (the one going on, if any), or None when it has none.

    Only ``get_lead`` fills ``runs``; cards from ``list_leads`` and ``watch``
    have none.
    """
    return lead.runs[-1] if lead.runs else None


def step_duration(step: lead_pb2.AgentStep, now: Optional[_dt.datetime] = None) -> Optional[_dt.timedelta]:
    """How long the step took, or, while it runs, how long it has run so far
    (from ``started_at`` to ``now``, default the clock, as a board shows it).

    None when it is unknown: a step that never ended, or a running one
    whose start never arrived.
    """
    if step.HasField("duration"):
        return step.duration.ToTimedelta()
    if step.status == lead_pb2.STEP_STATUS_RUNNING and step.HasField("started_at"):
        started = step.started_at.ToDatetime(tzinfo=_dt.timezone.utc)
        return max(_dt.timedelta(0), (now or _dt.datetime.now(_dt.timezone.utc)) - started)
    return None


def stalled_since(lead_or_job: Any) -> Optional[_dt.datetime]:
    """When the last event of a stalled lead (or job) arrived, as an aware UTC
    datetime; None when it is not stalled.

    The server flags a lead stalled when it is mid-run and no event for it
    has arrived for its column's stall limit (``--stall_after``); its next
    event clears the flag.
    """
    if not lead_or_job.HasField("stalled_since"):
        return None
    return lead_or_job.stalled_since.ToDatetime(tzinfo=_dt.timezone.utc)
