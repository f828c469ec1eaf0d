"""Maps the pipelines' own event dicts to ``PipelineEvent`` messages.

The prospecting pipelines yield loosely shaped dicts (see docs/domain.md):
``agent_start`` inside a lead's enrichment carries no ``lead_id``, a lead's
successful end is a ``pipeline_end`` with ``lead_id`` and ``final_package``,
errors come as ``error`` or ``error_message``, qualification tiers come in
Portuguese, timestamps usually lack a zone, and every event may be delivered
twice. :class:`EventAdapter` absorbs all of that:

* ids: every event gets a stable ``event_id`` derived from its content, so the
  same dict delivered twice (or re-sent by a retry) collapses to one id;
* context: ``job_id`` / ``user_id`` / ``lead_id`` come from the dict, else from
  the context given, else (``lead_id`` only) from the lead the adapter saw the
  job start working on (``lead_generated`` / ``lead_enrichment_start``);
* the enrichment package (``final_package`` or ``data``) becomes an
  ``EnrichmentPackage``, tiers and urgency levels become enums;
* keys it does not know go into ``attributes`` verbatim.

An adapter is not thread-safe; give each concurrent worker its own.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Union, cast

from ._enrichment import enrichment_package, looks_like_package, qualification_tier, urgency_level
from ._proto import event_pb2 as evpb
from ._proto import lead_pb2 as lpb
from ._values import (
    _bounded_struct,
    _canonical,
    _dict,
    _error_of,
    _first,
    _fold,
    _number,
    _plain,
    _text,
    _timestamp,
    parse_timestamp,
)

__all__ = [
    "EventContext",
    "EventAdapter",
    "adapt",
    "derive_event_id",
    "parse_timestamp",
    "qualification_tier",
    "urgency_level",
    "event_type",
]

# Server limits (event.proto); values beyond them are truncated client-side
# rather than having the whole event rejected.
MAX_MESSAGE_BYTES = 64 * 1024
MAX_PROFILE_FIELD_BYTES = 4 * 1024
MAX_DESCRIPTION_BYTES = 16 * 1024
MAX_ATTRIBUTES_BYTES = 64 * 1024
MAX_NAME_BYTES = 256

ContextLike = Union["EventContext", Mapping[str, Any], None]


@dataclass(frozen=True)
class EventContext:
    """Defaults for events that lack them.

    Attributes:
        job_id: the pipeline job, when the dicts lack ``job_id``.
        user_id: the owner (tenant), when the dicts lack ``user_id``.
        lead_id: the lead, when a lead-scoped dict lacks ``lead_id``
            (takes precedence over the adapter's tracking of the current lead).
    """

    job_id: Optional[str] = None
    user_id: Optional[str] = None
    lead_id: Optional[str] = None

    @classmethod
    def of(cls, context: ContextLike = None, **overrides: Optional[str]) -> "EventContext":
        """Builds a context from another context, a mapping or keywords (None ignored)."""
        base: dict[str, Optional[str]] = {"job_id": None, "user_id": None, "lead_id": None}
        if isinstance(context, EventContext):
            base.update(dataclasses.asdict(context))
        elif context:
            for key in base:
                if context.get(key) is not None:
                    base[key] = str(context[key])
        for key, value in overrides.items():
            if value is not None:
                base[key] = value
        return cls(**base)


# --------------------------------------------------------------------------
# Vocabulary tables


_EVENT_TYPES: dict[str, int] = {
    "pipeline_start": evpb.EVENT_TYPE_PIPELINE_START,
    "lead_generated": evpb.EVENT_TYPE_LEAD_GENERATED,
    "lead_enrichment_start": evpb.EVENT_TYPE_LEAD_ENRICHMENT_START,
    "agent_start": evpb.EVENT_TYPE_AGENT_START,
    "agent_end": evpb.EVENT_TYPE_AGENT_END,
    "tool_call_start": evpb.EVENT_TYPE_TOOL_CALL_START,
    "tool_call_output": evpb.EVENT_TYPE_TOOL_CALL_OUTPUT,
    "tool_call_end": evpb.EVENT_TYPE_TOOL_CALL_END,
    "status_update": evpb.EVENT_TYPE_STATUS_UPDATE,
    "lead_enrichment_end": evpb.EVENT_TYPE_LEAD_ENRICHMENT_END,
    "pipeline_end": evpb.EVENT_TYPE_PIPELINE_END,
    "pipeline_error": evpb.EVENT_TYPE_PIPELINE_ERROR,
}

# Types that are about a lead even when the dict omits lead_id.
_LEAD_SCOPED = {
    evpb.EVENT_TYPE_AGENT_START,
    evpb.EVENT_TYPE_AGENT_END,
    evpb.EVENT_TYPE_TOOL_CALL_START,
    evpb.EVENT_TYPE_TOOL_CALL_OUTPUT,
    evpb.EVENT_TYPE_TOOL_CALL_END,
}
# Types that are about the current lead only when an agent is named
# (otherwise they are job-level lines).
_LEAD_SCOPED_WITH_AGENT = {evpb.EVENT_TYPE_STATUS_UPDATE, evpb.EVENT_TYPE_PIPELINE_ERROR}
_END_TYPES = {
    evpb.EVENT_TYPE_AGENT_END,
    evpb.EVENT_TYPE_TOOL_CALL_END,
    evpb.EVENT_TYPE_LEAD_ENRICHMENT_END,
    evpb.EVENT_TYPE_PIPELINE_END,
}


def event_type(value: Any) -> "evpb.EventType":
    """Maps an ``event_type`` string (any case) or enum value to ``EventType``.

    Unknown values map to ``EVENT_TYPE_UNSPECIFIED`` (the server rejects it).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return cast(evpb.EventType, value if value in evpb.EventType.values() else 0)
    key = _fold(value or "").replace(" ", "_")
    if key.startswith("event_type_"):
        key = key[len("event_type_"):]
    return cast(evpb.EventType, _EVENT_TYPES.get(key, 0))


# --------------------------------------------------------------------------
# Lead profile


_PROFILE_KEYS = {
    "company_name": ("company_name", "name", "company"),
    "website": ("website", "url", "site", "domain"),
    "sector": ("sector", "industry", "setor"),
    "description": ("description", "descricao", "summary"),
    "source_url": ("source_url",),
    "location": ("location", "city", "localizacao", "cidade"),
    "company_size": ("company_size", "size", "employees"),
}


def _profile(lead_data: Mapping[str, Any], source_url: Any, company_name: Any) -> lpb.LeadProfile:
    data = dict(_dict(lead_data))
    # Their validated_lead nests the URL in site_data.
    site = _dict(data.get("site_data"))
    profile = lpb.LeadProfile()
    used: set[str] = set()
    for field, keys in _PROFILE_KEYS.items():
        for key in keys:
            if data.get(key) not in (None, ""):
                limit = MAX_DESCRIPTION_BYTES if field == "description" else MAX_PROFILE_FIELD_BYTES
                setattr(profile, field, _text(data[key], limit))
                used.add(key)
                break
    if not profile.website and site.get("url"):
        profile.website = _text(site["url"], MAX_PROFILE_FIELD_BYTES)
    if not profile.source_url and source_url:
        profile.source_url = _text(source_url, MAX_PROFILE_FIELD_BYTES)
    if not profile.company_name and company_name:
        profile.company_name = _text(company_name, MAX_PROFILE_FIELD_BYTES)
    extra = {k: v for k, v in data.items() if k not in used}
    if extra:
        profile.extra.CopyFrom(_bounded_struct(extra, MAX_ATTRIBUTES_BYTES))
    return profile


# --------------------------------------------------------------------------
# Event ids


def derive_event_id(
    *,
    job_id: str,
    lead_id: str,
    type_name: str,
    agent_name: str,
    timestamp: Optional[_dt.datetime],
    rest: Mapping[str, Any],
    user_id: str = "",
) -> str:
    """Returns the stable event id of an event: a hash of its identity and content.

    The same inputs always give the same id (so duplicates and retries
    collapse); any difference in job, lead, type, agent, timestamp (normalized
    to UTC) or the canonical JSON form of the remaining fields gives another.
    """
    ts = timestamp.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds") if timestamp else ""
    material = "\x1f".join(
        [user_id, job_id, lead_id, type_name, _fold(agent_name).replace(" ", ""), ts, _canonical(rest)]
    )
    return "ev1-" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:40]


# --------------------------------------------------------------------------
# The adapter

# Keys consumed by the mapping (everything else goes into attributes).
_COMMON_KEYS = {"event_type", "type", "timestamp", "job_id", "user_id", "lead_id", "event_id", "agent_name", "agent"}


class EventAdapter:
    """Turns pipeline event dicts into ``PipelineEvent`` messages.

    Keeps, per job, the lead the pipeline is working on (from
    ``lead_generated`` and ``lead_enrichment_start``, forgotten at the lead's
    end) to fill the ``lead_id`` that ``agent_*`` and ``tool_call_*`` events
    lack. Not thread-safe: give each concurrent worker its own adapter.

    Args:
        context: defaults for ``job_id`` / ``user_id`` / ``lead_id``.
    """

    def __init__(self, context: ContextLike = None) -> None:
        self.context = EventContext.of(context)
        self._current_lead: dict[str, str] = {}

    def current_lead(self, job_id: str) -> Optional[str]:
        """The lead the adapter believes job ``job_id`` is working on, if any."""
        return self._current_lead.get(job_id)

    def adapt(self, event: Any, context: ContextLike = None) -> evpb.PipelineEvent:
        """Maps one event dict (or passes a ``PipelineEvent`` through) to a ``PipelineEvent``.

        Args:
            event: the pipeline's event dict, a pydantic model or dataclass
                of one, or a ``PipelineEvent`` (given an id if it has none).
            context: per-call defaults, over the adapter's own context.

        Returns:
            A new ``PipelineEvent`` with a stable ``event_id``.

        Raises:
            TypeError: if ``event`` is neither a mapping nor a PipelineEvent.
        """
        if isinstance(event, evpb.PipelineEvent):
            return self._adapt_message(event, context)
        raw = _plain(event)
        if not isinstance(raw, dict):
            raise TypeError(f"cannot adapt {type(event).__name__}: expected a dict or PipelineEvent")
        ctx = EventContext.of(self.context) if context is None else EventContext.of(self.context, **dataclasses.asdict(EventContext.of(context)))

        raw_type = _first(raw, "event_type", "type")
        etype = event_type(raw_type)
        job_id = _text(raw.get("job_id") if raw.get("job_id") not in (None, "") else ctx.job_id or "")
        user_id = _text(raw.get("user_id") if raw.get("user_id") not in (None, "") else ctx.user_id or "")
        agent_name = _text(_first(raw, "agent_name", "agent"), MAX_NAME_BYTES)

        lead_id = _text(raw.get("lead_id")) if raw.get("lead_id") not in (None, "") else ""
        if not lead_id and etype in (evpb.EVENT_TYPE_LEAD_GENERATED, evpb.EVENT_TYPE_LEAD_ENRICHMENT_START):
            lead_data = _dict(raw.get("lead_data"))
            lead_id = _text(
                _first(lead_data, "lead_id", "id")
                or _dict(lead_data.get("validated_lead")).get("lead_id")
                or ""
            )
        package_raw = None
        if etype in (evpb.EVENT_TYPE_PIPELINE_END, evpb.EVENT_TYPE_LEAD_ENRICHMENT_END):
            package_raw = raw.get("final_package")
            if package_raw is None and looks_like_package(raw.get("data")):
                package_raw = raw.get("data")
            if not lead_id and package_raw is not None:
                validated = _dict(_dict(_dict(package_raw).get("analyzed_lead")).get("validated_lead"))
                lead_id = _text(validated.get("lead_id") or "")
        if not lead_id:
            if ctx.lead_id and (etype in _LEAD_SCOPED or etype in _LEAD_SCOPED_WITH_AGENT or etype == evpb.EVENT_TYPE_LEAD_ENRICHMENT_END):
                lead_id = ctx.lead_id
            elif etype in _LEAD_SCOPED or (etype in _LEAD_SCOPED_WITH_AGENT and agent_name):
                lead_id = self._current_lead.get(job_id, "")
            elif etype == evpb.EVENT_TYPE_LEAD_ENRICHMENT_END:
                lead_id = self._current_lead.get(job_id, "")

        ts = parse_timestamp(raw.get("timestamp"))
        out = evpb.PipelineEvent(
            lead_id=lead_id, job_id=job_id, user_id=user_id, type=etype, agent_name=agent_name
        )
        if ts is not None:
            out.occurred_at.CopyFrom(_timestamp(ts))

        used = set(_COMMON_KEYS)
        error = _error_of(raw)
        if "success" in raw:
            out.success = bool(raw["success"])
            used.add("success")
        elif etype in _END_TYPES:
            out.success = not error
        if etype == evpb.EVENT_TYPE_TOOL_CALL_END and "is_final" in raw and "success" not in raw:
            pass  # is_final is kept in attributes

        # message: the most telling text of the event.
        if error and (etype == evpb.EVENT_TYPE_PIPELINE_ERROR or not out.success):
            message = error
        else:
            by_type: dict[int, tuple[str, ...]] = {
                evpb.EVENT_TYPE_STATUS_UPDATE: ("status_message", "message"),
                evpb.EVENT_TYPE_AGENT_START: ("agent_description", "message", "input_query"),
                evpb.EVENT_TYPE_AGENT_END: ("final_response", "message"),
                evpb.EVENT_TYPE_TOOL_CALL_START: ("message",),
                evpb.EVENT_TYPE_TOOL_CALL_OUTPUT: ("output_snippet", "output", "message"),
                evpb.EVENT_TYPE_PIPELINE_START: ("message", "status_message"),
            }
            keys = by_type.get(int(etype), ("message", "status_message", "final_response"))
            message = _text(_first(raw, *keys)) or error
        out.message = _text(message, MAX_MESSAGE_BYTES)
        # Keys whose content went into `message` are consumed, except fields
        # that carry more than the message shows.
        for key in ("error_message", "error", "status_message", "message", "agent_description", "final_response", "output_snippet"):
            if key in raw and _text(raw[key], MAX_MESSAGE_BYTES) == out.message and out.message:
                used.add(key)

        if raw.get("tool_name") is not None:
            out.tool_name = _text(raw["tool_name"], MAX_NAME_BYTES)
            used.add("tool_name")
        if raw.get("error_type") is not None:
            out.error_type = _text(raw["error_type"], MAX_NAME_BYTES)
            used.add("error_type")
        if raw.get("progress_percentage", raw.get("progress_percent")) is not None:
            out.progress_percent = max(0.0, min(100.0, _number(raw.get("progress_percentage", raw.get("progress_percent")))))
            used.update({"progress_percentage", "progress_percent"})
        duration = _first(raw, "execution_time_seconds", "duration_seconds", "execution_time")
        if duration is not None:
            out.duration_seconds = max(0.0, _number(duration))
            used.update({"execution_time_seconds", "duration_seconds", "execution_time"})
        if etype == evpb.EVENT_TYPE_PIPELINE_START:
            query = _first(raw, "initial_query", "query")
            if query is not None:
                out.query = _text(query, MAX_MESSAGE_BYTES)
                used.update({"initial_query", "query"})
            if raw.get("max_leads_to_generate") is not None:
                out.max_leads = max(0, int(_number(raw["max_leads_to_generate"])))
                used.add("max_leads_to_generate")
        if etype == evpb.EVENT_TYPE_PIPELINE_END and not lead_id and raw.get("total_leads_generated") is not None:
            out.max_leads = max(0, int(_number(raw["total_leads_generated"])))
            used.add("total_leads_generated")

        if etype in (evpb.EVENT_TYPE_LEAD_GENERATED, evpb.EVENT_TYPE_LEAD_ENRICHMENT_START):
            if raw.get("lead_data") is not None or raw.get("company_name") or raw.get("source_url"):
                out.lead.CopyFrom(_profile(_dict(raw.get("lead_data")), raw.get("source_url"), raw.get("company_name")))
                used.update({"lead_data", "source_url", "company_name"})

        if package_raw is not None:
            used.update({"final_package", "data"} if package_raw is raw.get("data") else {"final_package"})
            if lead_id and out.success:
                out.enrichment.CopyFrom(enrichment_package(package_raw))
            else:
                used.discard("final_package")  # kept verbatim in attributes

        attributes = {k: v for k, v in raw.items() if k not in used and v is not None}
        if attributes:
            out.attributes.CopyFrom(_bounded_struct(attributes, MAX_ATTRIBUTES_BYTES))

        rest = {k: v for k, v in raw.items() if k not in ("event_type", "type", "job_id", "lead_id", "user_id", "agent_name", "agent", "timestamp", "event_id")}
        given_id = raw.get("event_id")
        out.event_id = _text(given_id) if given_id else derive_event_id(
            job_id=job_id,
            lead_id=lead_id,
            type_name=evpb.EventType.Name(etype) if etype else _text(raw_type),
            agent_name=agent_name,
            timestamp=ts,
            rest=rest,
            user_id=user_id,
        )
        self._track(etype, job_id, lead_id, out.success)
        return out

    def _track(self, etype: int, job_id: str, lead_id: str, success: bool) -> None:
        if etype in (evpb.EVENT_TYPE_LEAD_GENERATED, evpb.EVENT_TYPE_LEAD_ENRICHMENT_START) and lead_id:
            self._current_lead[job_id] = lead_id
        elif etype in (evpb.EVENT_TYPE_LEAD_ENRICHMENT_END, evpb.EVENT_TYPE_PIPELINE_END):
            if not lead_id:
                if etype == evpb.EVENT_TYPE_PIPELINE_END:
                    self._current_lead.pop(job_id, None)  # the job ended
            elif self._current_lead.get(job_id) == lead_id:
                del self._current_lead[job_id]

    def _adapt_message(self, event: evpb.PipelineEvent, context: ContextLike) -> evpb.PipelineEvent:
        out = evpb.PipelineEvent()
        out.CopyFrom(event)
        ctx = EventContext.of(self.context, **dataclasses.asdict(EventContext.of(context)))
        if not out.job_id and ctx.job_id:
            out.job_id = ctx.job_id
        if not out.user_id and ctx.user_id:
            out.user_id = ctx.user_id
        if not out.lead_id and out.type in _LEAD_SCOPED:
            out.lead_id = ctx.lead_id or self._current_lead.get(out.job_id, "")
        if not out.event_id:
            out.event_id = "ev1-" + hashlib.sha256(out.SerializeToString(deterministic=True)).hexdigest()[:40]
        self._track(out.type, out.job_id, out.lead_id, out.success)
        return out

    def adapt_all(self, events: Iterable[Any], context: ContextLike = None) -> Iterable[evpb.PipelineEvent]:
        """Lazily adapts every event of ``events``."""
        for event in events:
            yield self.adapt(event, context)


def adapt(event: Any, context: ContextLike = None) -> evpb.PipelineEvent:
    """Maps one pipeline event dict to a ``PipelineEvent`` (stateless).

    Without an adapter's tracking, a lead-scoped event lacking ``lead_id``
    gets it only from ``context``; use an :class:`EventAdapter` to follow a
    job's current lead across events.
    """
    return EventAdapter(context).adapt(event)
