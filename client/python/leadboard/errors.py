"""The SDK's exceptions: one root, one table from gRPC status codes.

Every error the SDK raises is a :class:`LeadboardError`. Errors that come from
a gRPC status are instances of the class :data:`STATUS_TO_ERROR` names for the
code, or of a subclass of it that :data:`REASON_TO_ERROR` names for the
status's ``google.rpc.ErrorInfo`` reason (a stale ``move_lead`` raises
:class:`ConflictError`, an :class:`AbortedError`). They keep the code, the
message, any ``google.rpc.BadRequest`` field violations and the ErrorInfo's
reason and metadata. :class:`RejectedEventsError` is raised by ``report``
when the server rejected some events of an otherwise successful ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

import grpc

from ._proto import lead_pb2

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
    "ConflictError",
    "CancelledError",
    "InternalError",
    "RejectedEventsError",
    "FieldViolation",
    "STATUS_TO_ERROR",
    "REASON_TO_ERROR",
    "ERROR_DOMAIN",
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
        reason: the ``google.rpc.ErrorInfo`` reason (e.g.
            ``"REVISION_MISMATCH"``), or ``""`` when the status had none.
        domain: the ErrorInfo's domain (``"leadboard.v1"`` for this server's).
        metadata: the ErrorInfo's metadata (an empty dict when none).
    """

    def __init__(
        self,
        message: str,
        *,
        code: Optional[grpc.StatusCode] = None,
        details: str = "",
        field_violations: Sequence[FieldViolation] = (),
        reason: str = "",
        domain: str = "",
        metadata: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.details = details
        self.field_violations = tuple(field_violations)
        self.reason = reason
        self.domain = domain
        self.metadata: dict[str, str] = dict(metadata or {})


class InvalidArgumentError(LeadboardError):
    """The request was malformed (``INVALID_ARGUMENT``).

    ``field_violations`` name the bad fields, e.g. ``to_stage`` for a move to
    an unknown column or to one only the pipeline fills.
    """


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
    """The system is not in a state for this call (``FAILED_PRECONDITION``),
    e.g. ``move_lead`` on a lead that is mid-run (its enrichment has not ended)."""


class AbortedError(LeadboardError):
    """A concurrent change won a race (``ABORTED``)."""


def _actor_kind(value: str) -> int:
    """``ACTOR_KIND_PERSON``, ``PERSON``, ``person`` or ``3`` -> ``ACTOR_KIND_PERSON``."""
    text = (value or "").strip()
    if text.isdigit():
        number = int(text)
        return number if number in lead_pb2.ActorKind.values() else lead_pb2.ACTOR_KIND_UNSPECIFIED
    name = text.upper()
    if not name.startswith("ACTOR_KIND_"):
        name = "ACTOR_KIND_" + name
    return lead_pb2.ActorKind.Value(name) if name in lead_pb2.ActorKind.keys() else lead_pb2.ACTOR_KIND_UNSPECIFIED


class ConflictError(AbortedError):
    """``move_lead`` with ``expected_revision``: the lead changed since that revision.

    Raised for ``ABORTED`` with the ErrorInfo reason ``REVISION_MISMATCH``;
    the attributes say where the lead is now and who put it there, so a
    caller can tell its user ("Bruno moved it to negotiating first") or
    retry with ``expected_revision=current_revision``.

    Attributes:
        current_stage: the column the lead is in now.
        current_revision: the lead's revision now (0 if the server did not say).
        actor: who put the lead in ``current_stage`` (a person's, agent's or
            event type's name).
        actor_kind: what kind of actor that was (``ActorKind``: agent,
            pipeline or person).
    """

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.current_stage = self.metadata.get("stage", "")
        try:
            self.current_revision = int(self.metadata.get("revision", "0") or 0)
        except ValueError:
            self.current_revision = 0
        self.actor = self.metadata.get("actor", "")
        self.actor_kind = _actor_kind(self.metadata.get("actor_kind", ""))


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


#: The ErrorInfo domain of this server's errors.
ERROR_DOMAIN = "leadboard.v1"

#: Refinements of the status table by ``google.rpc.ErrorInfo`` (domain, reason).
REASON_TO_ERROR: dict[tuple[str, str], type[LeadboardError]] = {
    (ERROR_DOMAIN, "REVISION_MISMATCH"): ConflictError,
}


@dataclass
class _StatusDetails:
    violations: list[FieldViolation]
    reason: str = ""
    domain: str = ""
    metadata: Optional[dict[str, str]] = None


def _status_details(error: grpc.RpcError) -> _StatusDetails:
    """Decodes google.rpc.BadRequest and ErrorInfo details from grpc-status-details-bin."""
    out = _StatusDetails([])
    try:
        trailers: Any = error.trailing_metadata() or ()  # type: ignore[attr-defined]
    except Exception:
        return out
    blob: Any = None
    for item in trailers:
        if item[0] == "grpc-status-details-bin":
            blob = item[1]
    if not blob:
        return out
    try:
        from google.rpc import error_details_pb2, status_pb2

        status = status_pb2.Status.FromString(blob)
    except Exception:
        return out
    for any_detail in status.details:
        bad = error_details_pb2.BadRequest()
        info = error_details_pb2.ErrorInfo()
        try:
            if any_detail.Is(bad.DESCRIPTOR) and any_detail.Unpack(bad):
                out.violations.extend(FieldViolation(v.field, v.description) for v in bad.field_violations)
            elif any_detail.Is(info.DESCRIPTOR) and any_detail.Unpack(info) and not out.reason:
                out.reason, out.domain, out.metadata = info.reason, info.domain, dict(info.metadata)
        except Exception:  # a detail that does not decode: keep the others
            continue
    return out


def from_rpc_error(error: grpc.RpcError, what: str = "") -> LeadboardError:
    """Translates a ``grpc.RpcError`` into the SDK exception for its status code."""
    try:
        code = error.code()  # type: ignore[attr-defined]
        details = error.details() or ""  # type: ignore[attr-defined]
    except Exception:  # not a call error
        return InternalError(str(error))
    cls = STATUS_TO_ERROR.get(code, LeadboardError)
    found = _status_details(error)
    refined = REASON_TO_ERROR.get((found.domain, found.reason))
    if refined is not None and issubclass(refined, cls):
        cls = refined
    violations = found.violations
    prefix = f"{what}: " if what else ""
    text = f"{prefix}{code.name}: {details}" if code is not None else f"{prefix}{details}"
    if violations:
        text += " [" + "; ".join(f"{v.field}: {v.description}" for v in violations) + "]"
    err = cls(text, code=code, details=details, field_violations=violations, reason=found.reason,
              domain=found.domain, metadata=found.metadata)
    err.__cause__ = error
    return err
