"""Result types of ``report``: the combined summary of one or more ingest streams."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rejection:
    """One event the server rejected.

    Attributes:
        index: 0-based position of the event in the sequence given to
            ``report`` (not in the underlying stream).
        event_id: the event's id ("" when it had none or it was too long).
        field: the offending field, e.g. ``"lead_id"``.
        reason: why, in words.
    """

    index: int
    event_id: str
    field: str
    reason: str


@dataclass
class ReportSummary:
    """The combined outcome of a ``report`` call.

    Attributes:
        accepted: events stored for the first time.
        duplicates: events whose id was already stored (re-deliveries, and
            events a retried batch had already stored before the stream broke).
        rejected: events the server refused, with their reasons.
        last_revision: the board revision after the last commit (0 if none).
        batches: how many ingest streams completed.
        retries: how many times a batch was re-sent after a transient failure.
    """

    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    last_revision: int = 0
    batches: int = 0
    retries: int = 0

    @property
    def sent(self) -> int:
        """Events the server acknowledged in any way (accepted + duplicates + rejected)."""
        return self.accepted + self.duplicates + len(self.rejected)

    def add(self, proto_summary: Any, offset: int) -> None:
        """Merges one stream's ``IngestSummary`` whose first event was ``offset``."""
        self.accepted += int(proto_summary.accepted)
        self.duplicates += int(proto_summary.duplicates)
        for r in proto_summary.rejected:
            self.rejected.append(Rejection(int(r.index) + offset, r.event_id, r.field, r.reason))
        self.last_revision = max(self.last_revision, int(proto_summary.last_revision))
        self.batches += 1

    def merge(self, other: "ReportSummary", offset: int = 0) -> None:
        """Adds another summary (whose indices start at ``offset``) to this one."""
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected.extend(
            Rejection(r.index + offset, r.event_id, r.field, r.reason) for r in other.rejected
        )
        self.last_revision = max(self.last_revision, other.last_revision)
        self.batches += other.batches
        self.retries += other.retries
