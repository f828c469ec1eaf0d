"""The SDK's exceptions: one root, one table from gRPC status codes.

Every error the SDK raises is a :class:`LeadboardError`. Errors that come from
a gRPC status are instances of the class :data:`STATUS_TO_ERROR` names for the
code (and keep the code, the message and any ``google.rpc.BadRequest`` field
violations). :class:`RejectedEventsError` is raised by ``report`` when the
server rejected some events of an otherwise successful ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Sequence

import grpc

if TYPE_CHECKING:  # pragma: no cover
    from .summary import ReportSummary, Rejection

__all__ = [
    "LeadboardError",
    "InvalidArgumentError",
    "NotFoundError",
    "AlreadyExistsError",
    "PermissionDeniedError",
    "UnauthenticatedError",
    "UnavailableError",
    "DeadlineExceededError",
    "OutOfRangeError",
    "ResourceExhaustedError",
    "FailedPreconditionError",
    "AbortedError",
    "CancelledError",
    "InternalError",
    "RejectedEventsError",
    "FieldViolation",
    "STATUS_TO_ERROR",
    "from_rpc_error",
]


@dataclass(frozen=True)
class FieldViolation:
    """One ``google.rpc.BadRequest`` field violation: which field, and why."""

    field: str
    description: str


class LeadboardError(Exception):
    """Root of every error the leadboard SDK raises.

    Attributes:
        code: the gRPC status code behind the error, or ``None`` when the
            error did not come from a gRPC status.
        details: the status message sent by the server.
        field_violations: field violations from ``google.rpc.BadRequest``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: Optional[grpc.StatusCode] = None,
        details: str = "",
        field_violations: Sequence[FieldViolation] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.details = details
        self.field_violations = tuple(field_violations)


class InvalidArgumentError(LeadboardError):
    """The request was malformed (``INVALID_ARGUMENT``)."""


class NotFoundError(LeadboardError):
    """The lead or job does not exist (``NOT_FOUND``)."""


class AlreadyExistsError(LeadboardError):
    """The object already exists (``ALREADY_EXISTS``)."""


class PermissionDeniedError(LeadboardError):
    """The token may not do this (``PERMISSION_DENIED``)."""


class UnauthenticatedError(LeadboardError):
    """No token, or an invalid one (``UNAUTHENTICATED``)."""


class UnavailableError(LeadboardError):
    """The server could not be reached, even after retries (``UNAVAILABLE``)."""


class DeadlineExceededError(LeadboardError):
    """The call's deadline passed (``DEADLINE_EXCEEDED``)."""


class OutOfRangeError(LeadboardError):
    """A revision older than the retained change log (``OUT_OF_RANGE``)."""


class ResourceExhaustedError(LeadboardError):
    """A limit was hit, e.g. a watcher fell too far behind (``RESOURCE_EXHAUSTED``)."""


class FailedPreconditionError(LeadboardError):
    """The system is not in a state for this call (``FAILED_PRECONDITION``)."""


class AbortedError(LeadboardError):
    """A concurrent change won a race (``ABORTED``)."""


class CancelledError(LeadboardError):
    """The call was cancelled (``CANCELLED``)."""


class InternalError(LeadboardError):
    """The server failed (``INTERNAL``, ``UNKNOWN``, ``DATA_LOSS``, ``UNIMPLEMENTED``)."""


class RejectedEventsError(LeadboardError):
    """Some events were rejected by the server; the others were stored.

    Attributes:
        result: the combined :class:`~leadboard.ReportSummary` of the call
            (accepted and duplicate counts include the good events).
        rejected: the rejections, each with its index in the reported
            sequence, event id, field and reason.
    """

    def __init__(self, result: "ReportSummary") -> None:
        rejected = result.rejected
        first = rejected[0]
        more = f" (and {len(rejected) - 1} more)" if len(rejected) > 1 else ""
        super().__init__(
            f"{len(rejected)} event(s) rejected; first: #{first.index} "
            f"{first.event_id or '<no id>'}: {first.field} {first.reason}{more}; "
            f"{result.accepted} accepted, {result.duplicates} duplicates",
            code=grpc.StatusCode.INVALID_ARGUMENT,
            field_violations=[FieldViolation(r.field, r.reason) for r in rejected],
        )
        self.result = result
        self.rejected: tuple["Rejection", ...] = tuple(rejected)


#: The one table from gRPC status codes to SDK exceptions.
STATUS_TO_ERROR: dict[grpc.StatusCode, type[LeadboardError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.OUT_OF_RANGE: OutOfRangeError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.CANCELLED: CancelledError,
    grpc.StatusCode.INTERNAL: InternalError,
    grpc.StatusCode.UNKNOWN: InternalError,
    grpc.StatusCode.DATA_LOSS: InternalError,
    grpc.StatusCode.UNIMPLEMENTED: InternalError,
}


def _field_violations(error: grpc.RpcError) -> list[FieldViolation]:
    """Decodes google.rpc.BadRequest details from grpc-status-details-bin."""
    try:
        trailers: Any = error.trailing_metadata() or ()  # type: ignore[attr-defined]
    except Exception:
        return []
    blob: Any = None
    for item in trailers:
        if item[0] == "grpc-status-details-bin":
            blob = item[1]
    if not blob:
        return []
    try:
        from google.rpc import error_details_pb2, status_pb2

        status = status_pb2.Status.FromString(blob)
        out: list[FieldViolation] = []
        for any_detail in status.details:
            bad = error_details_pb2.BadRequest()
            if any_detail.Is(bad.DESCRIPTOR) and any_detail.Unpack(bad):
                out.extend(FieldViolation(v.field, v.description) for v in bad.field_violations)
        return out
    except Exception:
        return []


def from_rpc_error(error: grpc.RpcError, what: str = "") -> LeadboardError:
    """Translates a ``grpc.RpcError`` into the SDK exception for its status code."""
    try:
        code = error.code()  # type: ignore[attr-defined]
        details = error.details() or ""  # type: ignore[attr-defined]
    except Exception:  # not a call error
        return InternalError(str(error))
    cls = STATUS_TO_ERROR.get(code, LeadboardError)
    violations = _field_violations(error)
    prefix = f"{what}: " if what else ""
    text = f"{prefix}{code.name}: {details}" if code is not None else f"{prefix}{details}"
    if violations:
        text += " [" + "; ".join(f"{v.field}: {v.description}" for v in violations) + "]"
    err = cls(text, code=code, details=details, field_violations=violations)
    err.__cause__ = error
    return err
