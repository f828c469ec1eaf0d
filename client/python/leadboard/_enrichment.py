"""Maps the pipelines' enrichment package to ``EnrichmentPackage``.

The package arrives as ``final_package`` (or ``data``) of a lead's successful
end: their ``ComprehensiveProspectPackage``, with most sections under
``enhanced_strategy`` and some at the top level, any of them missing or
carrying an ``error_message`` when its agent failed (see docs/domain.md, the
enrichment package). Agents spell some keys more than one way; every
spelling seen is read. Tiers and urgency levels, in Portuguese or English,
become enums.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, cast

from ._proto import enrichment_pb2 as epb
from ._values import (
    _dict,
    _error_of,
    _first,
    _fold,
    _number,
    _plain,
    _score01,
    _strings,
    _text,
    _timestamp,
    _to_struct,
    parse_timestamp,
)

__all__ = ["enrichment_package", "looks_like_package", "qualification_tier", "urgency_level"]


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


def _section(package: Mapping[str, Any], strategy: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` found in ``enhanced_strategy``, else at the package's top level."""
    for name in names:
        if strategy.get(name) is not None:
            return strategy[name]
    for name in names:
        if package.get(name) is not None:
            return package[name]
    return None


def _add_each(
    target: Any,
    items: Any,
    fields: Callable[[Mapping[str, Any]], dict[str, Any]],
    bare: Optional[str] = None,
) -> None:
    """Adds one message to the repeated field ``target`` per entry of the list ``items``.

    A dict entry gives the message's fields through ``fields``; a bare value
    (a string where the pipeline sent no dict) fills the field named
    ``bare``, or is skipped when ``bare`` is None. Empty entries are skipped.
    """
    for item in items or []:
        item = _plain(item)
        if isinstance(item, Mapping):
            target.add(**fields(item))
        elif bare is not None and item:
            target.add(**{bare: _text(item)})


def _outreach(m: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of an ``OutreachMessage`` from one of their messages."""
    return dict(
        channel=_text(m.get("channel")),
        subject_line=_text(m.get("subject_line")),
        body=_text(_first(m, "message_body", "body")),
        call_to_action=_text(m.get("call_to_action")),
        personalization_elements=_strings(m.get("personalization_elements")),
    )


def looks_like_package(value: Any) -> bool:
    """Whether ``value`` (e.g. an end event's ``data``) is an enrichment package."""
    value = _plain(value)
    return isinstance(value, Mapping) and any(
        k in value
        for k in ("analyzed_lead", "enhanced_strategy", "enhanced_personalized_message", "internal_briefing")
    )


def enrichment_package(raw: Any) -> epb.EnrichmentPackage:
    """Builds an ``EnrichmentPackage`` from a ComprehensiveProspectPackage dict (or model)."""
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
        _add_each(
            p.pain_points,
            pain.get("detailed_pain_points") or pain.get("pain_points"),
            lambda item: dict(
                description=_text(_first(item, "pain_description", "description")),
                business_impact=_text(item.get("business_impact")),
                solution_alignment=_text(item.get("solution_alignment")),
            ),
            bare="description",
        )
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
        _add_each(
            ci.competitors,
            comp.get("identified_competitors") or comp.get("competitors"),
            lambda item: dict(
                name=_text(item.get("name")),
                description=_text(item.get("description")),
                perceived_strength=_text(item.get("perceived_strength")),
                perceived_weakness=_text(item.get("perceived_weakness")),
            ),
            bare="name",
        )
        ci.other_notes = _text(comp.get("other_notes"))
        ci.error_message = _error_of(comp)

    trig = _dict(_section(package, strategy, "purchase_triggers", "buying_triggers"))
    if trig:
        t = out.purchase_triggers
        _add_each(
            t.triggers,
            trig.get("identified_triggers") or trig.get("triggers"),
            lambda item: dict(
                description=_text(_first(item, "trigger_description", "description")),
                relevance_explanation=_text(item.get("relevance_explanation")),
            ),
            bare="description",
        )
        t.other_observations = _text(trig.get("other_observations"))
        t.error_message = _error_of(trig)

    vps = _plain(_section(package, strategy, "value_propositions"))
    if isinstance(vps, Mapping):  # {"propositions": [...]} or an error section
        vps = vps.get("value_propositions") or vps.get("propositions") or []
    _add_each(
        out.value_propositions,
        vps,
        lambda item: dict(
            title=_text(item.get("title")),
            connection_to_pain_or_trigger=_text(item.get("connection_to_pain_or_trigger")),
            key_benefit=_text(item.get("key_benefit")),
            differentiation_factor=_text(item.get("differentiation_factor")),
            call_to_value=_text(item.get("call_to_value")),
        ),
        bare="title",
    )

    questions = _plain(_section(package, strategy, "strategic_questions"))
    if isinstance(questions, Mapping):
        questions = questions.get("strategic_questions") or questions.get("questions") or []
    out.strategic_questions.extend(_strings(questions))

    obj = _dict(_section(package, strategy, "objection_framework", "objection_handling"))
    if obj:
        o = out.objection_framework
        _add_each(
            o.objections,
            obj.get("anticipated_objections") or obj.get("objections"),
            lambda item: dict(
                objection=_text(item.get("objection")),
                response_strategy=_text(item.get("response_strategy")),
                suggested_response=_text(item.get("suggested_response")),
            ),
            bare="objection",
        )
        o.error_message = _error_of(obj)

    plan = _dict(_section(package, strategy, "detailed_approach_plan", "approach_plan"))
    if plan:
        ap = out.approach_plan
        ap.main_objective = _text(plan.get("main_objective"))
        ap.elevator_pitch = _text(_first(plan, "adapted_elevator_pitch", "elevator_pitch"))
        # Steps are numbered by position when the pipeline did not number them.
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

    _add_each(
        out.generated_strategies,
        _plain(_section(package, strategy, "tot_generated_strategies")),
        lambda item: dict(
            name=_text(_first(item, "strategy_name", "name")),
            angle=_text(_first(item, "angle_or_hook", "angle", "hook")),
            tone=_text(_first(item, "tone_of_voice", "tone")),
            channels=_strings(_first(item, "primary_channels", "channels")),
            key_points=_strings(_first(item, "key_points_or_arguments", "key_points")),
        ),
    )
    _add_each(
        out.evaluated_strategies,
        _plain(_section(package, strategy, "tot_evaluated_strategies")),
        lambda item: dict(
            name=_text(_first(item, "strategy_name", "name")),
            strengths=_strings(item.get("strengths")),
            weaknesses=_strings(_first(item, "weaknesses_or_risks", "weaknesses")),
            score=_number(_first(item, "suitability_score", "score")),
            improvements=_strings(_first(item, "recommended_improvements", "improvements")),
        ),
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
            pm.primary_message.CopyFrom(epb.OutreachMessage(**_outreach(primary)))
        _add_each(pm.alternative_messages, msg.get("alternative_messages"), _outreach)
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
        _add_each(
            ib.sections,
            sections,
            lambda s: dict(title=_text(s.get("title")), content=_text(s.get("content"))),
        )
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
