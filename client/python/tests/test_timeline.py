"""Agent statistics requests, the stalled watch kind and the timeline helpers (no server needed)."""

from __future__ import annotations

import datetime as dt

import pytest
from google.protobuf import duration_pb2, timestamp_pb2

import leadboard
from leadboard._base import ClientBase
from leadboard._common import to_timestamp

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 5, 12, 0, 0, tzinfo=UTC)


def ts(moment: dt.datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(moment)
    return out


@pytest.mark.parametrize(
    "value, expected",
    [
        (dt.timedelta(hours=1), NOW - dt.timedelta(hours=1)),                    # that long ago
        (dt.datetime(2026, 11, 5, 9, 30), dt.datetime(2026, 11, 5, 9, 30, tzinfo=UTC)),  # naive: UTC
        (dt.datetime(2026, 11, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
         dt.datetime(2026, 11, 5, 12, 30, tzinfo=UTC)),
        ("2026-11-05T09:30:00Z", dt.datetime(2026, 11, 5, 9, 30, tzinfo=UTC)),
        ("2026-11-05T09:30:00-03:00", dt.datetime(2026, 11, 5, 12, 30, tzinfo=UTC)),
        (1_700_000_000, dt.datetime.fromtimestamp(1_700_000_000, UTC)),
        (ts(NOW), NOW),
    ],
)
def test_time_bounds_become_utc_timestamps(value, expected) -> None:
    assert to_timestamp(value, now=NOW).ToDatetime(tzinfo=UTC) == expected


@pytest.mark.parametrize("value, error", [("yesterday", ValueError), (True, TypeError),
                                          (dt.date(2026, 1, 1), TypeError), ([1], TypeError)])
def test_a_bound_that_is_not_a_time_is_refused_before_any_call(value, error) -> None:
    with pytest.raises(error, match="since"):
        ClientBase._agent_stats_request(None, None, value, None)


def test_agent_stats_request_sets_only_the_given_filters() -> None:
    empty = ClientBase._agent_stats_request(None, None, None, None)
    assert empty == leadboard.GetAgentStatsRequest()
    assert not empty.HasField("since") and not empty.HasField("until")
    before = dt.datetime.now(UTC)
    request = ClientBase._agent_stats_request("job-7", "ana", dt.timedelta(minutes=30), "2030-01-01T00:00:00")
    after = dt.datetime.now(UTC)
    assert (request.job_id, request.user_id) == ("job-7", "ana")
    since = request.since.ToDatetime(tzinfo=UTC)
    assert before - dt.timedelta(minutes=30) <= since <= after - dt.timedelta(minutes=30)
    assert request.until.ToDatetime(tzinfo=UTC) == dt.datetime(2030, 1, 1, tzinfo=UTC)


def test_list_leads_request_carries_the_stalled_filter() -> None:
    request = ClientBase._list_leads_request("", stage="", job_id="j", user_id="", full=False, page_size=10,
                                             stalled=True)
    assert request.stalled and request.job_id == "j"


def test_a_stalled_change_is_a_stalled_watch_event() -> None:
    lead = leadboard.Lead(id="lead-1", stage="research", stalled_since=ts(NOW))
    response = leadboard.WatchLeadsResponse(
        revision=42,
        lead_change=leadboard.LeadChange(kind=leadboard.ChangeKind.CHANGE_KIND_STALLED, lead=lead),
    )
    event = leadboard.WatchEvent.from_response(response)
    assert (event.kind, event.revision, event.lead.id) == ("stalled", 42, "lead-1")
    assert leadboard.stalled_since(event.lead) == NOW
    state = leadboard.WatchState(41)
    assert state.accept(event) and state.resume_from == 42


def test_stalled_since_is_none_unless_set() -> None:
    assert leadboard.stalled_since(leadboard.Lead(id="x")) is None
    assert leadboard.stalled_since(leadboard.Job(id="j", stalled_since=ts(NOW))) == NOW


def step(status: int, **fields) -> leadboard.AgentStep:
    return leadboard.AgentStep(agent="tavilyenrichment", agent_name="TavilyEnrichmentAgent", attempt=1,
                               status=status, **fields)


def test_step_status_and_duration() -> None:
    S = leadboard.StepStatus
    done = step(S.STEP_STATUS_SUCCEEDED, started_at=ts(NOW), ended_at=ts(NOW + dt.timedelta(seconds=12)),
                duration=duration_pb2.Duration(seconds=12))
    assert leadboard.step_status(done) == "succeeded"
    assert leadboard.step_duration(done) == dt.timedelta(seconds=12)
    running = step(S.STEP_STATUS_RUNNING, started_at=ts(NOW))
    assert leadboard.step_status(running) == "running"
    assert leadboard.step_duration(running, now=NOW + dt.timedelta(seconds=5)) == dt.timedelta(seconds=5)
    assert leadboard.step_duration(step(S.STEP_STATUS_RUNNING)) is None  # its start never arrived
    never = step(S.STEP_STATUS_UNFINISHED, started_at=ts(NOW))
    assert (leadboard.step_status(never), leadboard.step_duration(never)) == ("unfinished", None)
    assert leadboard.step_status(step(S.STEP_STATUS_FAILED, error="boom")) == "failed"
    assert leadboard.step_status(step(S.STEP_STATUS_UNSPECIFIED)) == "unspecified"


def test_current_run_is_the_last() -> None:
    assert leadboard.current_run(leadboard.Lead(id="x")) is None
    old = leadboard.AgentRun(outcome=leadboard.LeadStatus.LEAD_STATUS_FAILED)
    new = leadboard.AgentRun(outcome=leadboard.LeadStatus.LEAD_STATUS_ENRICHING, steps=[step(1)])
    lead = leadboard.Lead(id="x", runs=[old, new])
    assert leadboard.current_run(lead) == new
