"""Maps the pipelines' own event dicts to ``PipelineEvent`` messages.

The prospecting pipelines yield loosely shaped dicts (see shared/DOMAIN.md):
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
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Union, cast

from google.protobuf import struct_pb2, timestamp_pb2

from ._proto import enrichment_pb2 as epb
from ._proto import event_pb2 as evpb
from ._proto import lead_pb2 as lpb

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


def _fold(text: str) -> str:
    """Lower-case, strip accents, collapse separators to single spaces."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


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


_TIERS: dict[str, int] = {}
for _names, _tier in (
    (
        ("alto potencial", "high potential", "high", "alto", "potencial alto", "hot",
         "qualification tier high potential", "high potential lead"),
        epb.QUALIFICATION_TIER_HIGH_POTENTIAL,
    ),
    (
        ("potencial medio", "medio potencial", "medium potential", "medium", "medio",
         "media", "potencial moderado", "moderate potential", "warm",
         "qualification tier medium potential"),
        epb.QUALIFICATION_TIER_MEDIUM_POTENTIAL,
    ),
    (
        ("baixo potencial", "low potential", "low", "baixo", "potencial baixo", "cold",
         "qualification tier low potential"),
        epb.QUALIFICATION_TIER_LOW_POTENTIAL,
    ),
    (
        ("nao qualificado", "not qualified", "unqualified", "disqualified",
         "desqualificado", "qualification tier not qualified", "nao qualificada"),
        epb.QUALIFICATION_TIER_NOT_QUALIFIED,
    ),
):
    for _name in _names:
        _TIERS[_name] = _tier


def qualification_tier(value: Any) -> "epb.QualificationTier":
    """Maps a tier in Portuguese or English ("Alto Potencial", "High Potential") to the enum.

    Unknown or empty values map to ``QUALIFICATION_TIER_UNSPECIFIED``.
    """
    if value is None:
        return epb.QUALIFICATION_TIER_UNSPECIFIED
    if isinstance(value, int) and not isinstance(value, bool):
        return cast(epb.QualificationTier, value if value in epb.QualificationTier.values() else 0)
    key = _fold(value)
    if key in _TIERS:
        return cast(epb.QualificationTier, _TIERS[key])
    # "Alto Potencial (score 0.85)", "Lead de Alto Potencial"
    for name in sorted(_TIERS, key=len, reverse=True):
        if len(name.split()) > 1 and name in key:
            return cast(epb.QualificationTier, _TIERS[name])
    return epb.QUALIFICATION_TIER_UNSPECIFIED


_URGENCY: dict[str, int] = {
    "low": epb.URGENCY_LEVEL_LOW, "baixa": epb.URGENCY_LEVEL_LOW, "baixo": epb.URGENCY_LEVEL_LOW,
    "medium": epb.URGENCY_LEVEL_MEDIUM, "media": epb.URGENCY_LEVEL_MEDIUM,
    "medio": epb.URGENCY_LEVEL_MEDIUM, "moderate": epb.URGENCY_LEVEL_MEDIUM,
    "high": epb.URGENCY_LEVEL_HIGH, "alta": epb.URGENCY_LEVEL_HIGH, "alto": epb.URGENCY_LEVEL_HIGH,
    "critical": epb.URGENCY_LEVEL_CRITICAL, "critica": epb.URGENCY_LEVEL_CRITICAL,
    "critico": epb.URGENCY_LEVEL_CRITICAL, "urgent": epb.URGENCY_LEVEL_CRITICAL,
    "urgente": epb.URGENCY_LEVEL_CRITICAL,
}


def urgency_level(value: Any) -> "epb.UrgencyLevel":
    """Maps an urgency level (low/medium/high/critical, or Portuguese) to ``UrgencyLevel``."""
    if value is None:
        return epb.URGENCY_LEVEL_UNSPECIFIED
    key = _fold(value).replace("urgency level ", "")
    return cast(epb.UrgencyLevel, _URGENCY.get(key, _URGENCY.get(key.split(" ")[0] if key else "", 0)))


def parse_timestamp(value: Any) -> Optional[_dt.datetime]:
    """Parses an ISO 8601 string, datetime or Unix time into an aware UTC datetime.

    Values without a zone are taken as UTC. Returns None for empty or
    unparseable values.
    """
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000.0
        return _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = _dt.datetime.fromisoformat(text)
        except ValueError:
            # Python 3.10 rejects fractional seconds that are not 3 or 6 digits.
            m = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", text)
            if not m:
                return None
            frac = (m.group(2) + "000000")[:6]
            try:
                dt = _dt.datetime.fromisoformat(f"{m.group(1)}.{frac}{m.group(3)}")
            except ValueError:
                return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_dt.timezone.utc)
    return dt.astimezone(_dt.timezone.utc)


# --------------------------------------------------------------------------
# Value helpers


def _plain(value: Any) -> Any:
    """Turns pydantic models, dataclasses, enums, datetimes into JSON-like data."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump())
    if hasattr(value, "dict") and callable(value.dict) and hasattr(value, "__fields__"):
        return _plain(value.dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if hasattr(value, "value") and hasattr(value, "name"):  # enum
        return _plain(value.value)
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return str(value)


def _text(value: Any, limit: int = 0) -> str:
    """A string for a text field: lists joined by newlines, dicts as JSON, truncated to limit bytes."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (list, tuple)):
        text = "\n".join(_text(v) for v in value)
    elif isinstance(value, Mapping):
        text = json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)
    else:
        text = str(_plain(value))
    if limit and len(text.encode("utf-8")) > limit:
        text = text.encode("utf-8")[: limit - 3].decode("utf-8", "ignore") + "..."
    # The server rejects invalid UTF-8; lone surrogates cannot be encoded.
    return text.encode("utf-8", "replace").decode("utf-8")


def _strings(value: Any) -> list[str]:
    """A list of strings from a list, a single string, or a list of dicts."""
    if value is None or value == "":
        return []
    if isinstance(value, (str, bytes)):
        return [_text(value)]
    if isinstance(value, Mapping):
        return [_text(value)]
    out = []
    for item in value:
        if isinstance(item, Mapping):
            # A dict entry: prefer its main text.
            for key in ("text", "description", "question", "name", "title", "value", "url"):
                if item.get(key):
                    out.append(_text(item[key]))
                    break
            else:
                out.append(_text(item))
        elif item is not None and item != "":
            out.append(_text(item))
    return out


def _number(value: Any) -> float:
    if value is None or isinstance(value, bool):
        return float(bool(value)) if isinstance(value, bool) else 0.0
    try:
        if isinstance(value, str):
            value = value.strip().rstrip("%").replace(",", ".")
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _score01(value: Any) -> float:
    """A 0..1 score; values given in percent (1 < v <= 100) are scaled down."""
    number = _number(value)
    if 1.0 < number <= 100.0:
        number /= 100.0
    return max(0.0, min(1.0, number))


def _dict(value: Any) -> dict[str, Any]:
    value = _plain(value)
    return value if isinstance(value, dict) else {}


def _first(d: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = d.get(key)
        if value is not None and value != "" and value != []:
            return value
    return None


def _error_of(d: Mapping[str, Any]) -> str:
    return _text(_first(d, "error_message", "error"))


def _to_struct(data: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_json_safe(_plain(data)))
    return struct


def _bounded_struct(data: Mapping[str, Any], limit: int) -> struct_pb2.Struct:
    """A Struct of data within limit bytes: the largest values are replaced by a note."""
    plain = _json_safe(_plain(dict(data)))
    struct = _to_struct(plain)
    while struct.ByteSize() > limit and plain:
        sizes = {k: len(_canonical(v)) for k, v in plain.items()}
        key = max(sizes, key=lambda k: sizes[k])
        if isinstance(plain[key], str) and plain[key].startswith("<truncated"):
            plain = {"_truncated": True, "keys": sorted(data)}
            return _to_struct(plain)
        plain[key] = f"<truncated: {sizes[key]} bytes>"
        struct = _to_struct(plain)
    return struct


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _timestamp(dt: _dt.datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(dt)
    return ts


# --------------------------------------------------------------------------
# The enrichment package


def _section(package: Mapping[str, Any], strategy: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if strategy.get(name) is not None:
            return strategy[name]
    for name in names:
        if package.get(name) is not None:
            return package[name]
    return None


def _enrichment(raw: Any) -> epb.EnrichmentPackage:
    """Builds an EnrichmentPackage from a ComprehensiveProspectPackage dict."""
    package = _dict(raw)
    strategy = _dict(package.get("enhanced_strategy"))
    out = epb.EnrichmentPackage()

    analyzed = _dict(package.get("analyzed_lead"))
    analysis = _dict(analyzed.get("analysis") or package.get("analysis"))
    if analysis or analyzed.get("error_message"):
        a = out.analysis
        a.company_sector = _text(analysis.get("company_sector"))
        a.main_services.extend(_strings(analysis.get("main_services")))
        a.recent_activities.extend(_strings(analysis.get("recent_activities")))
        a.potential_challenges.extend(_strings(analysis.get("potential_challenges")))
        a.company_size_estimate = _text(analysis.get("company_size_estimate"))
        a.relevance_score = _score01(analysis.get("relevance_score"))
        a.general_diagnosis = _text(analysis.get("general_diagnosis"))
        a.opportunity_fit = _text(analysis.get("opportunity_fit"))
        a.error_message = _text(_first(analysis, "error_message", "error") or analyzed.get("error_message"))

    ext = _dict(_section(package, strategy, "external_intelligence"))
    if ext:
        e = out.external_intelligence
        e.tavily_enrichment = _text(ext.get("tavily_enrichment"))
        e.market_research = _text(ext.get("market_research"))
        e.news_analysis = _text(ext.get("news_analysis"))
        e.social_signals.extend(_strings(ext.get("social_signals")))
        e.sources_used.extend(_strings(ext.get("sources_used")))
        e.error_message = _error_of(ext)

    contact = _dict(_section(package, strategy, "contact_information", "contact_info"))
    if contact:
        c = out.contact_information
        c.emails.extend(_strings(_first(contact, "emails_found", "emails")))
        c.phone_numbers.extend(_strings(_first(contact, "phone_numbers", "phones")))
        c.linkedin_profiles.extend(_strings(_first(contact, "linkedin_profiles", "linkedin_profiles_found")))
        c.instagram_profiles.extend(
            _strings(_first(contact, "instagram_profiles", "instagram_profiles_found"))
        )
        c.search_suggestions.extend(
            _strings(_first(contact, "tavily_search_suggestions", "search_suggestions"))
        )
        c.error_message = _error_of(contact)

    pain = _dict(_section(package, strategy, "pain_point_analysis", "pain_analysis"))
    if pain:
        p = out.pain_point_analysis
        p.primary_pain_category = _text(pain.get("primary_pain_category"))
        for item in pain.get("detailed_pain_points") or pain.get("pain_points") or []:
            item = _plain(item)
            if isinstance(item, Mapping):
                p.pain_points.add(
                    description=_text(_first(item, "pain_description", "description")),
                    business_impact=_text(item.get("business_impact")),
                    solution_alignment=_text(item.get("solution_alignment")),
                )
            elif item:
                p.pain_points.add(description=_text(item))
        p.urgency_level = urgency_level(pain.get("urgency_level"))
        p.investigative_questions.extend(_strings(pain.get("investigative_questions")))
        p.error_message = _error_of(pain)

    qual = _dict(_section(package, strategy, "lead_qualification", "qualification"))
    if qual:
        q = out.lead_qualification
        q.tier = qualification_tier(_first(qual, "qualification_tier", "tier"))
        q.score = _score01(_first(qual, "qualification_score", "score"))
        q.reasoning.extend(_strings(_first(qual, "qualification_reasoning", "justification", "reasoning")))
        q.fit_score = _score01(qual.get("fit_score"))
        q.readiness_score = _score01(qual.get("readiness_score"))
        q.authority_score = _score01(qual.get("authority_score"))
        q.budget_likelihood = _text(qual.get("budget_likelihood"))
        q.error_message = _error_of(qual)

    comp = _dict(_section(package, strategy, "competitor_intelligence"))
    if comp:
        ci = out.competitor_intelligence
        for item in comp.get("identified_competitors") or comp.get("competitors") or []:
            item = _plain(item)
            if isinstance(item, Mapping):
                ci.competitors.add(
                    name=_text(item.get("name")),
                    description=_text(item.get("description")),
                    perceived_strength=_text(item.get("perceived_strength")),
                    perceived_weakness=_text(item.get("perceived_weakness")),
                )
            elif item:
                ci.competitors.add(name=_text(item))
        ci.other_notes = _text(comp.get("other_notes"))
        ci.error_message = _error_of(comp)

    trig = _dict(_section(package, strategy, "purchase_triggers", "buying_triggers"))
    if trig:
        t = out.purchase_triggers
        for item in trig.get("identified_triggers") or trig.get("triggers") or []:
            item = _plain(item)
            if isinstance(item, Mapping):
                t.triggers.add(
                    description=_text(_first(item, "trigger_description", "description")),
                    relevance_explanation=_text(item.get("relevance_explanation")),
                )
            elif item:
                t.triggers.add(description=_text(item))
        t.other_observations = _text(trig.get("other_observations"))
        t.error_message = _error_of(trig)

    vps = _plain(_section(package, strategy, "value_propositions"))
    if isinstance(vps, Mapping):  # {"propositions": [...]} or an error section
        vps = vps.get("value_propositions") or vps.get("propositions") or []
    for item in vps or []:
        if isinstance(item, Mapping):
            out.value_propositions.add(
                title=_text(item.get("title")),
                connection_to_pain_or_trigger=_text(item.get("connection_to_pain_or_trigger")),
                key_benefit=_text(item.get("key_benefit")),
                differentiation_factor=_text(item.get("differentiation_factor")),
                call_to_value=_text(item.get("call_to_value")),
            )
        elif item:
            out.value_propositions.add(title=_text(item))

    questions = _plain(_section(package, strategy, "strategic_questions"))
    if isinstance(questions, Mapping):
        questions = questions.get("strategic_questions") or questions.get("questions") or []
    out.strategic_questions.extend(_strings(questions))

    obj = _dict(_section(package, strategy, "objection_framework", "objection_handling"))
    if obj:
        o = out.objection_framework
        for item in obj.get("anticipated_objections") or obj.get("objections") or []:
            item = _plain(item)
            if isinstance(item, Mapping):
                o.objections.add(
                    objection=_text(item.get("objection")),
                    response_strategy=_text(item.get("response_strategy")),
                    suggested_response=_text(item.get("suggested_response")),
                )
            elif item:
                o.objections.add(objection=_text(item))
        o.error_message = _error_of(obj)

    plan = _dict(_section(package, strategy, "detailed_approach_plan", "approach_plan"))
    if plan:
        ap = out.approach_plan
        ap.main_objective = _text(plan.get("main_objective"))
        ap.elevator_pitch = _text(_first(plan, "adapted_elevator_pitch", "elevator_pitch"))
        for n, step in enumerate(plan.get("contact_sequence") or [], start=1):
            step = _plain(step)
            if not isinstance(step, Mapping):
                ap.contact_sequence.add(step_number=n, objective=_text(step))
                continue
            ap.contact_sequence.add(
                step_number=int(_number(step.get("step_number")) or n),
                channel=_text(step.get("channel")),
                objective=_text(step.get("objective")),
                key_topics=_strings(_first(step, "key_topics_arguments", "key_topics")),
                key_questions=_strings(step.get("key_questions")),
                call_to_action=_text(_first(step, "cta", "call_to_action")),
            )
        ap.engagement_indicators.extend(
            _strings(_first(plan, "engagement_indicators_to_monitor", "engagement_indicators"))
        )
        ap.potential_obstacles.extend(
            _strings(_first(plan, "potential_obstacles_attention_points", "potential_obstacles", "obstacles"))
        )
        ap.next_steps.extend(
            _strings(_first(plan, "suggested_next_steps_if_successful", "next_steps"))
        )
        ap.error_message = _error_of(plan)

    for item in _plain(_section(package, strategy, "tot_generated_strategies")) or []:
        if isinstance(item, Mapping):
            out.generated_strategies.add(
                name=_text(_first(item, "strategy_name", "name")),
                angle=_text(_first(item, "angle_or_hook", "angle", "hook")),
                tone=_text(_first(item, "tone_of_voice", "tone")),
                channels=_strings(_first(item, "primary_channels", "channels")),
                key_points=_strings(_first(item, "key_points_or_arguments", "key_points")),
            )
    for item in _plain(_section(package, strategy, "tot_evaluated_strategies")) or []:
        if isinstance(item, Mapping):
            out.evaluated_strategies.add(
                name=_text(_first(item, "strategy_name", "name")),
                strengths=_strings(item.get("strengths")),
                weaknesses=_strings(_first(item, "weaknesses_or_risks", "weaknesses")),
                score=_number(_first(item, "suitability_score", "score")),
                improvements=_strings(_first(item, "recommended_improvements", "improvements")),
            )
    action = _dict(_section(package, strategy, "tot_synthesized_action_plan", "action_plan"))
    if action:
        ac = out.action_plan
        ac.recommended_strategy_name = _text(action.get("recommended_strategy_name"))
        ac.rationale = _text(_first(action, "rationale", "justification"))
        ac.action_sequence.extend(_strings(action.get("action_sequence")))
        ac.key_metrics.extend(_strings(_first(action, "key_metrics_to_track", "key_metrics")))
        ac.error_message = _error_of(action)

    msg = _dict(_first(package, "enhanced_personalized_message", "personalized_message"))
    if msg:
        pm = out.personalized_message
        primary = _dict(msg.get("primary_message"))
        if primary:
            pm.primary_message.CopyFrom(_outreach(primary))
        for alt in msg.get("alternative_messages") or []:
            if isinstance(alt, Mapping):
                pm.alternative_messages.append(_outreach(alt))
        pm.personalization_score = _score01(msg.get("personalization_score"))
        pm.estimated_response_rate = _score01(msg.get("estimated_response_rate"))
        pm.error_message = _error_of(msg)

    brief = _dict(package.get("internal_briefing"))
    if brief:
        ib = out.internal_briefing
        ib.executive_summary = _text(brief.get("executive_summary"))
        sections = brief.get("sections")
        if isinstance(sections, Mapping):
            sections = [{"title": k, "content": v} for k, v in sections.items()]
        if sections is None:
            # Their briefing model: one key per section, each {title, content}.
            sections = [
                v for k, v in brief.items()
                if isinstance(v, Mapping) and ("content" in v or "title" in v)
            ]
        for s in sections or []:
            s = _plain(s)
            if isinstance(s, Mapping):
                ib.sections.add(title=_text(s.get("title")), content=_text(s.get("content")))
        ib.recommended_next_step = _text(brief.get("recommended_next_step"))
        ib.error_message = _error_of(brief)

    out.confidence_score = _score01(package.get("confidence_score"))
    out.roi_potential_score = _score01(package.get("roi_potential_score"))
    out.market_fit_score = _score01(_first(package, "brazilian_market_fit", "market_fit_score"))
    processed = parse_timestamp(package.get("processing_timestamp"))
    if processed is not None:
        out.processed_at.CopyFrom(_timestamp(processed))
    meta = package.get("processing_metadata")
    if isinstance(meta, Mapping) and meta:
        out.processing_metadata.CopyFrom(_to_struct(meta))
    return out


def _outreach(m: Mapping[str, Any]) -> epb.OutreachMessage:
    return epb.OutreachMessage(
        channel=_text(m.get("channel")),
        subject_line=_text(m.get("subject_line")),
        body=_text(_first(m, "message_body", "body")),
        call_to_action=_text(m.get("call_to_action")),
        personalization_elements=_strings(m.get("personalization_elements")),
    )


def _looks_like_package(value: Any) -> bool:
    value = _plain(value)
    return isinstance(value, Mapping) and any(
        k in value
        for k in ("analyzed_lead", "enhanced_strategy", "enhanced_personalized_message", "internal_briefing")
    )


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


def _canonical(value: Any) -> str:
    return json.dumps(_json_safe(_plain(value)), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


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
            if package_raw is None and _looks_like_package(raw.get("data")):
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
                out.enrichment.CopyFrom(_enrichment(package_raw))
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
