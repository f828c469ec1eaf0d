"""Unit tests of the event adapter: no server needed."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

import leadboard
from leadboard import EventAdapter, EventContext, EventType, PipelineEvent, QualificationTier, UrgencyLevel
from leadboard.sim._sample_data import COMPANIES, enrichment_package

import random

CTX = {"job_id": "job-1", "user_id": "ana"}
TS = "2025-03-10T14:22:05.123456"


def ev(event_type: str, **fields):
    d = {"event_type": event_type, "timestamp": TS, "job_id": "job-1", "user_id": "ana"}
    d.update(fields)
    return d


def package(lead_id: str = "L1", failed: set[str] | None = None):
    return enrichment_package(random.Random(1), lead_id, COMPANIES[0], failed or set(), TS)


ALL_TYPES = {
    "pipeline_start": (ev("pipeline_start", initial_query="SaaS em Curitiba", max_leads_to_generate=7),
                       EventType.EVENT_TYPE_PIPELINE_START),
    "lead_generated": (ev("lead_generated", lead_id="L1", agent_name="HarvesterAgent",
                          source_url="https://google.com/?q=x",
                          lead_data={"company_name": "TechStart Solutions", "url": "https://techstart.com",
                                     "sector": "Technology", "description": "SaaS", "founded": 2015}),
                       EventType.EVENT_TYPE_LEAD_GENERATED),
    "lead_enrichment_start": (ev("lead_enrichment_start", lead_id="L1", company_name="TechStart Solutions"),
                              EventType.EVENT_TYPE_LEAD_ENRICHMENT_START),
    "agent_start": (ev("agent_start", agent_name="TavilyEnrichmentAgent", agent_description="web",
                       input_query="TechStart"), EventType.EVENT_TYPE_AGENT_START),
    "agent_end": (ev("agent_end", agent_name="TavilyEnrichmentAgent", execution_time_seconds=12.5,
                     success=True, final_response="done", error_message=None), EventType.EVENT_TYPE_AGENT_END),
    "tool_call_start": (ev("tool_call_start", tool_name="tavily_search", agent_name="TavilyEnrichmentAgent",
                           tool_args={"query": "q"}), EventType.EVENT_TYPE_TOOL_CALL_START),
    "tool_call_output": (ev("tool_call_output", tool_name="tavily_search", agent_name="TavilyEnrichmentAgent",
                            output_snippet="5 results"), EventType.EVENT_TYPE_TOOL_CALL_OUTPUT),
    "tool_call_end": (ev("tool_call_end", tool_name="tavily_search", agent_name="TavilyEnrichmentAgent",
                         is_final=True, success=True), EventType.EVENT_TYPE_TOOL_CALL_END),
    "status_update": (ev("status_update", status_message="Processando", progress_percentage=42),
                      EventType.EVENT_TYPE_STATUS_UPDATE),
    "pipeline_error": (ev("pipeline_error", error="boom", error_type="TimeoutError", agent_name="X"),
                       EventType.EVENT_TYPE_PIPELINE_ERROR),
    "lead_enrichment_end": (ev("lead_enrichment_end", lead_id="L1", success=False, error_message="failed"),
                            EventType.EVENT_TYPE_LEAD_ENRICHMENT_END),
    "pipeline_end": (ev("pipeline_end", success=True, total_leads_generated=7, execution_time_seconds=300),
                     EventType.EVENT_TYPE_PIPELINE_END),
}


@pytest.mark.parametrize("name", sorted(ALL_TYPES))
def test_every_event_type_maps(name: str) -> None:
    d, expected = ALL_TYPES[name]
    out = leadboard.adapt(d, {"lead_id": "L1"})
    assert out.type == expected
    assert out.event_id.startswith("ev1-") and len(out.event_id) <= 128
    assert out.job_id == "job-1" and out.user_id == "ana"
    assert out.occurred_at.ToDatetime(tzinfo=dt.timezone.utc) == dt.datetime(
        2025, 3, 10, 14, 22, 5, 123456, tzinfo=dt.timezone.utc
    )


def test_field_mapping_details() -> None:
    start = leadboard.adapt(ALL_TYPES["pipeline_start"][0])
    assert start.query == "SaaS em Curitiba" and start.max_leads == 7 and start.lead_id == ""
    gen = leadboard.adapt(ALL_TYPES["lead_generated"][0])
    assert gen.lead.company_name == "TechStart Solutions"
    assert gen.lead.website == "https://techstart.com"
    assert gen.lead.sector == "Technology" and gen.lead.source_url == "https://google.com/?q=x"
    assert gen.lead.extra["founded"] == 2015
    assert gen.agent_name == "HarvesterAgent"
    est = leadboard.adapt(ALL_TYPES["lead_enrichment_start"][0])
    assert est.lead.company_name == "TechStart Solutions"
    end = leadboard.adapt(ALL_TYPES["agent_end"][0], {"lead_id": "L1"})
    assert end.success and end.message == "done" and end.duration_seconds == 12.5
    out = leadboard.adapt(ALL_TYPES["tool_call_output"][0], {"lead_id": "L1"})
    assert out.tool_name == "tavily_search" and out.message == "5 results"
    tcs = leadboard.adapt(ALL_TYPES["tool_call_start"][0], {"lead_id": "L1"})
    assert tcs.attributes["tool_args"]["query"] == "q"
    status = leadboard.adapt(ALL_TYPES["status_update"][0])
    assert status.message == "Processando" and status.progress_percent == 42 and status.lead_id == ""
    job_end = leadboard.adapt(ALL_TYPES["pipeline_end"][0])
    assert job_end.success and job_end.max_leads == 7 and job_end.lead_id == "" and not job_end.HasField("enrichment")


@pytest.mark.parametrize("key", ["error", "error_message"])
def test_errors_from_either_key(key: str) -> None:
    out = leadboard.adapt(ev("pipeline_error", **{key: "Rate limit exceeded"}, error_type="RateLimitError",
                             agent_name="ContactExtractionAgent", tool_name="web_scraper"))
    assert out.type == EventType.EVENT_TYPE_PIPELINE_ERROR
    assert out.message == "Rate limit exceeded"
    assert out.error_type == "RateLimitError" and out.tool_name == "web_scraper"
    failed_end = leadboard.adapt(ev("agent_end", agent_name="A", **{key: "bad"}), {"lead_id": "L"})
    assert not failed_end.success and failed_end.message == "bad"


def test_missing_lead_id_filled_from_tracking() -> None:
    adapter = EventAdapter(CTX)
    assert adapter.adapt(ev("lead_enrichment_start", lead_id="L7", company_name="X")).lead_id == "L7"
    for t in ("agent_start", "agent_end", "tool_call_start", "tool_call_output", "tool_call_end"):
        assert adapter.adapt(ev(t, agent_name="PainPointDeepeningAgent")).lead_id == "L7"
    # A status line or error of an agent is the lead's; a bare one is the job's.
    assert adapter.adapt(ev("status_update", agent_name="X", status_message="s")).lead_id == "L7"
    assert adapter.adapt(ev("status_update", status_message="job line")).lead_id == ""
    assert adapter.adapt(ev("pipeline_error", agent_name="X", error="e")).lead_id == "L7"
    # The lead's successful end (pipeline_end + lead_id) ends tracking.
    end = adapter.adapt(ev("pipeline_end", lead_id="L7", success=True, final_package=package("L7")))
    assert end.lead_id == "L7" and end.HasField("enrichment")
    assert adapter.current_lead("job-1") is None
    assert adapter.adapt(ev("agent_start", agent_name="A")).lead_id == ""


def test_lead_generated_tracks_and_context_wins() -> None:
    adapter = EventAdapter()
    adapter.adapt(ev("lead_generated", lead_id="L1", lead_data={"company_name": "A"}))
    assert adapter.adapt(ev("agent_start", agent_name="LeadIntakeAgent")).lead_id == "L1"
    assert adapter.adapt(ev("agent_start", agent_name="LeadIntakeAgent"), {"lead_id": "L9"}).lead_id == "L9"
    # Tracking is per job.
    assert adapter.adapt(ev("agent_start", agent_name="A", job_id="job-2")).lead_id == ""


def test_job_and_user_from_context() -> None:
    d = {"event_type": "agent_start", "agent_name": "A", "timestamp": TS}
    out = EventAdapter(EventContext(job_id="J", user_id="U", lead_id="L")).adapt(d)
    assert (out.job_id, out.user_id, out.lead_id) == ("J", "U", "L")
    # The dict's own values win over the context.
    out = leadboard.adapt(dict(d, job_id="J2"), {"job_id": "J", "user_id": "U"})
    assert out.job_id == "J2"


def test_nested_enrichment_package() -> None:
    pkg = package("L1", failed={"contact_information"})
    out = leadboard.adapt(ev("pipeline_end", lead_id="L1", success=True, final_package=pkg))
    e = out.enrichment
    assert out.type == EventType.EVENT_TYPE_PIPELINE_END and out.success
    assert e.analysis.company_sector == "Technology"
    assert e.analysis.relevance_score == pkg["analyzed_lead"]["analysis"]["relevance_score"]
    strat = pkg["enhanced_strategy"]
    assert e.external_intelligence.tavily_enrichment == strat["external_intelligence"]["tavily_enrichment"]
    assert e.contact_information.error_message  # the failed section keeps its error
    assert e.pain_point_analysis.primary_pain_category == strat["pain_point_analysis"]["primary_pain_category"]
    assert len(e.pain_point_analysis.pain_points) == len(strat["pain_point_analysis"]["detailed_pain_points"])
    assert e.pain_point_analysis.urgency_level != UrgencyLevel.URGENCY_LEVEL_UNSPECIFIED
    assert e.lead_qualification.tier != QualificationTier.QUALIFICATION_TIER_UNSPECIFIED
    assert list(e.lead_qualification.reasoning) == strat["lead_qualification"]["justification"]
    assert [c.name for c in e.competitor_intelligence.competitors] == [
        c["name"] for c in strat["competitor_intelligence"]["identified_competitors"]]
    assert len(e.purchase_triggers.triggers) == len(strat["purchase_triggers"]["identified_triggers"])
    assert e.value_propositions[0].key_benefit
    assert list(e.strategic_questions) == strat["strategic_questions"]
    assert len(e.objection_framework.objections) == 2
    assert e.approach_plan.elevator_pitch and len(e.approach_plan.contact_sequence) == 3
    assert e.approach_plan.contact_sequence[2].call_to_action == "Agendar 30 minutos"
    assert e.approach_plan.engagement_indicators and e.approach_plan.next_steps
    assert len(e.generated_strategies) == 2 and e.generated_strategies[0].channels
    assert e.evaluated_strategies[0].score > 0
    assert e.action_plan.recommended_strategy_name == e.generated_strategies[0].name
    assert e.personalized_message.primary_message.body
    assert e.personalized_message.alternative_messages[0].channel == "linkedin"
    assert e.internal_briefing.executive_summary and len(e.internal_briefing.sections) == 4
    assert e.internal_briefing.recommended_next_step
    assert 0 < e.confidence_score <= 1 and 0 < e.market_fit_score <= 1
    assert e.processing_metadata["total_agents_executed"] == 15
    assert e.processed_at.seconds > 0
    assert "final_package" not in out.attributes


def test_package_as_data_on_lead_enrichment_end() -> None:
    pkg = package("L2")
    out = leadboard.adapt(ev("lead_enrichment_end", lead_id="L2", success=True, data=pkg))
    assert out.type == EventType.EVENT_TYPE_LEAD_ENRICHMENT_END and out.HasField("enrichment")
    assert out.enrichment.analysis.company_sector == "Technology"


def test_package_never_on_failed_or_job_end() -> None:
    out = leadboard.adapt(ev("lead_enrichment_end", lead_id="L2", success=False, final_package={"x": 1},
                             error_message="boom"))
    assert not out.HasField("enrichment") and out.message == "boom"
    job = leadboard.adapt(ev("pipeline_end", success=True, final_package=package()))
    # The lead id is recovered from the package's validated_lead.
    assert job.lead_id == "L1" and job.HasField("enrichment")


@pytest.mark.parametrize(
    "text,tier",
    [
        ("Alto Potencial", QualificationTier.QUALIFICATION_TIER_HIGH_POTENTIAL),
        ("Potencial Médio", QualificationTier.QUALIFICATION_TIER_MEDIUM_POTENTIAL),
        ("potencial medio", QualificationTier.QUALIFICATION_TIER_MEDIUM_POTENTIAL),
        ("Baixo Potencial", QualificationTier.QUALIFICATION_TIER_LOW_POTENTIAL),
        ("Não Qualificado", QualificationTier.QUALIFICATION_TIER_NOT_QUALIFIED),
        ("High Potential", QualificationTier.QUALIFICATION_TIER_HIGH_POTENTIAL),
        ("Medium Potential", QualificationTier.QUALIFICATION_TIER_MEDIUM_POTENTIAL),
        ("Low Potential", QualificationTier.QUALIFICATION_TIER_LOW_POTENTIAL),
        ("Not Qualified", QualificationTier.QUALIFICATION_TIER_NOT_QUALIFIED),
        ("HIGH_POTENTIAL", QualificationTier.QUALIFICATION_TIER_HIGH_POTENTIAL),
        ("Lead de Alto Potencial", QualificationTier.QUALIFICATION_TIER_HIGH_POTENTIAL),
        ("???", QualificationTier.QUALIFICATION_TIER_UNSPECIFIED),
        (None, QualificationTier.QUALIFICATION_TIER_UNSPECIFIED),
    ],
)
def test_qualification_tiers(text, tier) -> None:
    assert leadboard.qualification_tier(text) == tier


@pytest.mark.parametrize(
    "text,level",
    [("low", UrgencyLevel.URGENCY_LEVEL_LOW), ("Medium", UrgencyLevel.URGENCY_LEVEL_MEDIUM),
     ("high", UrgencyLevel.URGENCY_LEVEL_HIGH), ("critical", UrgencyLevel.URGENCY_LEVEL_CRITICAL),
     ("Alta", UrgencyLevel.URGENCY_LEVEL_HIGH), ("média", UrgencyLevel.URGENCY_LEVEL_MEDIUM),
     ("crítica", UrgencyLevel.URGENCY_LEVEL_CRITICAL), ("", UrgencyLevel.URGENCY_LEVEL_UNSPECIFIED)],
)
def test_urgency_levels(text, level) -> None:
    assert leadboard.urgency_level(text) == level


def test_duplicate_dicts_share_an_id() -> None:
    d = ev("agent_end", agent_name="LeadQualificationAgent", success=True, final_response="ok",
           execution_time_seconds=3.2)
    a = EventAdapter(CTX).adapt(d, {"lead_id": "L1"})
    b = EventAdapter(CTX).adapt(copy.deepcopy(d), {"lead_id": "L1"})
    assert a.event_id == b.event_id
    # Key order, zone spelling (naive = UTC) and agent spelling do not matter.
    reordered = dict(reversed(list(d.items())))
    reordered["timestamp"] = TS + "+00:00"
    c = EventAdapter(CTX).adapt(reordered, {"lead_id": "L1"})
    assert c.event_id == a.event_id
    # Same package delivered twice: same id.
    p1 = leadboard.adapt(ev("pipeline_end", lead_id="L1", success=True, final_package=package()))
    p2 = leadboard.adapt(ev("pipeline_end", lead_id="L1", success=True, final_package=package()))
    assert p1.event_id == p2.event_id


@pytest.mark.parametrize(
    "change",
    [
        {"timestamp": "2025-03-10T14:22:05.123457"},
        {"agent_name": "ContactExtractionAgent"},
        {"job_id": "job-2"},
        {"user_id": "bob"},
        {"final_response": "other"},
        {"success": False},
        {"event_type": "agent_start"},
        {"extra_field": 1},
    ],
)
def test_different_dicts_get_different_ids(change) -> None:
    d = ev("agent_end", agent_name="LeadQualificationAgent", success=True, final_response="ok")
    base = leadboard.adapt(d, {"lead_id": "L1"}).event_id
    assert leadboard.adapt(dict(d, **change), {"lead_id": "L1"}).event_id != base
    assert leadboard.adapt(d, {"lead_id": "L2"}).event_id != base


def test_given_event_id_is_kept_and_messages_pass_through() -> None:
    assert leadboard.adapt(ev("status_update", event_id="mine")).event_id == "mine"
    msg = PipelineEvent(type=EventType.EVENT_TYPE_AGENT_START, agent_name="A", job_id="J")
    out = EventAdapter({"user_id": "U", "lead_id": "L"}).adapt(msg)
    assert out.event_id.startswith("ev1-") and out.user_id == "U" and out.lead_id == "L"
    assert EventAdapter({"user_id": "U", "lead_id": "L"}).adapt(msg).event_id == out.event_id
    assert msg.event_id == ""  # the input is not modified


def test_unknown_keys_go_to_attributes_and_limits_hold() -> None:
    out = leadboard.adapt(ev("status_update", status_message="x", custom={"a": [1, 2]},
                             when=dt.datetime(2025, 1, 1), big="y" * 100_000), {"lead_id": "L"})
    assert out.attributes["custom"]["a"] == [1, 2]
    assert out.attributes.ByteSize() <= 64 * 1024
    assert out.attributes["big"].startswith("<truncated")
    long = leadboard.adapt(ev("agent_end", agent_name="A", success=True, final_response="é" * 50_000), {"lead_id": "L"})
    assert len(long.message.encode()) <= 64 * 1024


def test_unknown_event_type_is_left_for_the_server() -> None:
    out = leadboard.adapt(ev("something_new", foo=1))
    assert out.type == EventType.EVENT_TYPE_UNSPECIFIED
    assert out.event_id and out.attributes["foo"] == 1


def test_timestamps() -> None:
    utc = dt.timezone.utc
    assert leadboard.parse_timestamp("2025-01-02T03:04:05") == dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=utc)
    assert leadboard.parse_timestamp("2025-01-02T03:04:05Z") == dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=utc)
    assert leadboard.parse_timestamp("2025-01-02T00:04:05-03:00") == dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=utc)
    assert leadboard.parse_timestamp("2025-01-02T03:04:05.1234567").microsecond == 123456
    assert leadboard.parse_timestamp(1735787045) == dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=utc)
    assert leadboard.parse_timestamp("garbage") is None
    # No timestamp: the server stamps it; the id is still stable.
    d = {"event_type": "status_update", "status_message": "x", "job_id": "j", "user_id": "u"}
    a, b = leadboard.adapt(d), leadboard.adapt(dict(d))
    assert not a.HasField("occurred_at") and a.event_id == b.event_id


def test_pydantic_like_objects_are_accepted() -> None:
    class Model:
        def __init__(self, **kw):
            self.kw = kw

        def model_dump(self):
            return self.kw

    out = leadboard.adapt(Model(event_type="agent_start", agent_name="A", job_id="j", user_id="u", lead_id="L"))
    assert out.type == EventType.EVENT_TYPE_AGENT_START and out.lead_id == "L"
    with pytest.raises(TypeError):
        leadboard.adapt(42)
