"""The sync and async clients: one set of options, one surface (no server needed)."""

from __future__ import annotations

import asyncio
import inspect
import warnings

import pytest

import leadboard


def test_both_clients_take_the_same_options() -> None:
    sync_params = inspect.signature(leadboard.Client.__init__).parameters
    async_params = inspect.signature(leadboard.AsyncClient.__init__).parameters
    assert list(sync_params) == list(async_params)
    assert "channel" in sync_params and "batch_size" in sync_params
    with pytest.raises(ValueError):
        leadboard.Client(batch_size=0)
    with pytest.raises(ValueError):
        leadboard.AsyncClient(batch_size=0)


def test_options_land_on_both_clients() -> None:
    policy = leadboard.RetryPolicy(max_attempts=3)
    kwargs = dict(token="t0k", user_id="ana", job_id="job-1", batch_size=7, max_batch_seconds=2.5,
                  retry=policy, timeout=4.0, ingest_timeout=9.0)

    def check(client: leadboard.Client | leadboard.AsyncClient) -> None:
        assert client.target == "127.0.0.1:1"
        assert (client.batch_size, client.max_batch_seconds, client.timeout, client.ingest_timeout) == (
            7, 2.5, 4.0, 9.0)
        assert client.retry is policy
        assert client._metadata == (("authorization", "Bearer t0k"),)
        assert client.adapter.context.user_id == "ana" and client.adapter.context.job_id == "job-1"

    async def check_async() -> None:
        # A grpc.aio channel belongs to a running loop: made outside one, it
        # fails once an earlier test's asyncio.run() has cleared the loop.
        async with leadboard.AsyncClient("127.0.0.1:1", **kwargs) as async_client:
            check(async_client)

    with leadboard.Client("127.0.0.1:1", **kwargs) as sync_client:
        check(sync_client)
    asyncio.run(check_async())


def test_report_and_move_lead_have_the_same_parameters_on_both_clients() -> None:
    for name in ("report", "move_lead", "get_lead", "get_board", "list_leads", "list_jobs", "get_agent_stats"):
        sync_params = list(inspect.signature(getattr(leadboard.Client, name)).parameters)
        async_params = list(inspect.signature(getattr(leadboard.AsyncClient, name)).parameters)
        assert sync_params == async_params, name
    assert inspect.iscoroutinefunction(leadboard.AsyncClient.report)
    assert inspect.iscoroutinefunction(leadboard.AsyncClient.move_lead)
    assert inspect.iscoroutinefunction(leadboard.AsyncClient.get_agent_stats)
    assert "stalled" in inspect.signature(leadboard.Client.list_leads).parameters


def test_areport_is_a_deprecated_alias_of_report() -> None:
    async def scenario() -> leadboard.ReportSummary:
        async with leadboard.AsyncClient("127.0.0.1:1") as client:
            with pytest.warns(DeprecationWarning, match="report"):
                pending = client.areport([])  # no events: no RPC is made
            return await pending

    summary = asyncio.run(scenario())
    assert isinstance(summary, leadboard.ReportSummary) and summary.sent == 0 and summary.batches == 0


def test_report_does_not_warn() -> None:
    async def scenario() -> leadboard.ReportSummary:
        async with leadboard.AsyncClient("127.0.0.1:1") as client:
            return await client.report([])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert asyncio.run(scenario()).sent == 0


def test_move_request_sets_expected_revision_only_when_given() -> None:
    from leadboard._base import ClientBase

    bare = ClientBase._move_request("L1", "reviewing", None, None, None)
    assert not bare.HasField("expected_revision") and bare.note == "" and bare.actor == ""
    zero = ClientBase._move_request("L1", "reviewing", 0, "olhar", "Ana")
    assert zero.HasField("expected_revision") and zero.expected_revision == 0
    assert (zero.lead_id, zero.to_stage, zero.note, zero.actor) == ("L1", "reviewing", "olhar", "Ana")


def test_move_result_unpacks_and_names_its_revision() -> None:
    lead = leadboard.Lead(id="L1", stage="reviewing", revision=42)
    result = leadboard.MoveResult(lead, True)
    moved_lead, moved = result
    assert moved_lead is lead and moved is True and result.revision == 42


def test_a_moved_change_names_the_person_and_the_note() -> None:
    response = leadboard.WatchLeadsResponse(revision=9, lead_change=leadboard.LeadChange(
        kind=leadboard.ChangeKind.CHANGE_KIND_MOVED, lead=leadboard.Lead(id="L1", stage="negotiating"),
        previous_stage="first_messages", note="Pediram proposta",
        actor=leadboard.Actor(kind=leadboard.ActorKind.ACTOR_KIND_PERSON, name="Ana")))
    event = leadboard.WatchEvent.from_response(response)
    assert (event.kind, event.revision, event.previous_stage) == ("moved", 9, "first_messages")
    assert (event.actor, event.actor_kind, event.note) == ("Ana", leadboard.ActorKind.ACTOR_KIND_PERSON,
                                                           "Pediram proposta")


def test_both_watches_conflate_catch_up_and_batch_unless_told_otherwise() -> None:
    for cls in (leadboard.Client, leadboard.AsyncClient):
        params = inspect.signature(cls.watch).parameters
        for name in ("conflate", "catch_up", "batch"):
            assert params[name].default is True and params[name].kind is inspect.Parameter.KEYWORD_ONLY, (cls, name)
    request = leadboard.Client._watch_request(7, "job-1", "ana", conflate=False, catch_up=True, batch=False)
    assert (request.since_revision, request.job_id, request.user_id, request.conflate, request.catch_up,
            request.batch) == (7, "job-1", "ana", False, True, False)
    assert leadboard.Client._watch_request(7, "", "", conflate=True, catch_up=True, batch=True).batch


def test_a_current_change_is_a_current_event_with_the_card() -> None:
    response = leadboard.WatchLeadsResponse(revision=12, lead_change=leadboard.LeadChange(
        kind=leadboard.ChangeKind.CHANGE_KIND_CURRENT, lead=leadboard.Lead(id="L2", stage="enriched", revision=12)))
    event = leadboard.WatchEvent.from_response(response)
    assert (event.kind, event.revision, event.lead.id) == ("current", 12, "L2")
    state = leadboard.WatchState(5)
    assert state.accept(event) and state.resume_from == 12  # a cut catch-up resumes after it
