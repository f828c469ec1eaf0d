"""From gRPC status to SDK exception: the status table, BadRequest and ErrorInfo details."""

from __future__ import annotations

from typing import Any, Optional

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

import leadboard
from leadboard import ActorKind, from_rpc_error


class FakeRpcError(grpc.RpcError):
    """What a failed call raises: a code, details and trailing metadata."""

    def __init__(self, code: grpc.StatusCode, details: str, *detail_messages: Any,
                 trailers: Optional[tuple] = None) -> None:
        super().__init__(details)
        self._code, self._details = code, details
        if trailers is None:
            status = status_pb2.Status(code=code.value[0], message=details)
            for message in detail_messages:
                packed = any_pb2.Any()
                packed.Pack(message)
                status.details.append(packed)
            trailers = (("grpc-status-details-bin", status.SerializeToString()),) if detail_messages else ()
        self._trailers = trailers

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple:
        return self._trailers


def revision_mismatch(**metadata: str) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(reason="REVISION_MISMATCH", domain="leadboard.v1", metadata=metadata)


def test_revision_mismatch_becomes_a_conflict_error_with_where_the_lead_is() -> None:
    err = from_rpc_error(FakeRpcError(
        grpc.StatusCode.ABORTED, "lead L1 is in negotiating at revision 57 (moved by Bruno)",
        revision_mismatch(stage="negotiating", revision="57", actor="Bruno", actor_kind="ACTOR_KIND_PERSON"),
    ), "MoveLead")
    assert type(err) is leadboard.ConflictError
    assert isinstance(err, leadboard.AbortedError) and isinstance(err, leadboard.LeadboardError)
    assert err.code == grpc.StatusCode.ABORTED
    assert (err.current_stage, err.current_revision, err.actor) == ("negotiating", 57, "Bruno")
    assert err.actor_kind == ActorKind.ACTOR_KIND_PERSON
    assert err.reason == "REVISION_MISMATCH" and err.domain == "leadboard.v1"
    assert str(err).startswith("MoveLead: ABORTED: lead L1 is in negotiating")


@pytest.mark.parametrize("spelling, kind", [
    ("ACTOR_KIND_AGENT", ActorKind.ACTOR_KIND_AGENT), ("PIPELINE", ActorKind.ACTOR_KIND_PIPELINE),
    ("person", ActorKind.ACTOR_KIND_PERSON), ("3", ActorKind.ACTOR_KIND_PERSON),
    ("", ActorKind.ACTOR_KIND_UNSPECIFIED), ("robot", ActorKind.ACTOR_KIND_UNSPECIFIED),
    ("99", ActorKind.ACTOR_KIND_UNSPECIFIED),
])
def test_actor_kind_spellings(spelling: str, kind: int) -> None:
    err = from_rpc_error(FakeRpcError(grpc.StatusCode.ABORTED, "x", revision_mismatch(actor_kind=spelling)))
    assert isinstance(err, leadboard.ConflictError) and err.actor_kind == kind


def test_aborted_without_the_reason_stays_an_aborted_error() -> None:
    plain = from_rpc_error(FakeRpcError(grpc.StatusCode.ABORTED, "race"))
    assert type(plain) is leadboard.AbortedError and plain.reason == "" and plain.metadata == {}
    other = from_rpc_error(FakeRpcError(
        grpc.StatusCode.ABORTED, "x",
        error_details_pb2.ErrorInfo(reason="REVISION_MISMATCH", domain="someone.else", metadata={"stage": "s"})))
    assert type(other) is leadboard.AbortedError and other.domain == "someone.else"
    # The reason refines only the code it belongs to: an INVALID_ARGUMENT stays one.
    invalid = from_rpc_error(FakeRpcError(grpc.StatusCode.INVALID_ARGUMENT, "x", revision_mismatch(stage="s")))
    assert type(invalid) is leadboard.InvalidArgumentError and invalid.metadata == {"stage": "s"}


def test_conflict_error_with_a_garbled_revision_says_zero() -> None:
    err = from_rpc_error(FakeRpcError(grpc.StatusCode.ABORTED, "x", revision_mismatch(stage="s", revision="abc")))
    assert isinstance(err, leadboard.ConflictError) and err.current_revision == 0 and err.current_stage == "s"


def test_bad_request_and_error_info_together() -> None:
    bad = error_details_pb2.BadRequest(field_violations=[
        error_details_pb2.BadRequest.FieldViolation(field="to_stage", description="unknown column \"nope\"")])
    info = error_details_pb2.ErrorInfo(reason="INVALID_STAGE", domain="leadboard.v1")
    err = from_rpc_error(FakeRpcError(grpc.StatusCode.INVALID_ARGUMENT, "bad move", bad, info), "MoveLead")
    assert type(err) is leadboard.InvalidArgumentError
    assert [(v.field, v.description) for v in err.field_violations] == [("to_stage", 'unknown column "nope"')]
    assert err.reason == "INVALID_STAGE" and "to_stage" in str(err)


def test_undecodable_details_are_ignored() -> None:
    err = from_rpc_error(FakeRpcError(grpc.StatusCode.FAILED_PRECONDITION, "mid-run",
                                      trailers=(("grpc-status-details-bin", b"\xff\x00garbage"),)))
    assert type(err) is leadboard.FailedPreconditionError and err.field_violations == () and err.reason == ""


def test_status_table_maps_the_move_codes() -> None:
    table = leadboard.STATUS_TO_ERROR
    assert table[grpc.StatusCode.FAILED_PRECONDITION] is leadboard.FailedPreconditionError
    assert table[grpc.StatusCode.INVALID_ARGUMENT] is leadboard.InvalidArgumentError
    assert table[grpc.StatusCode.ABORTED] is leadboard.AbortedError
    assert leadboard.REASON_TO_ERROR[("leadboard.v1", "REVISION_MISMATCH")] is leadboard.ConflictError
    for cls in leadboard.REASON_TO_ERROR.values():
        assert issubclass(cls, leadboard.LeadboardError)
