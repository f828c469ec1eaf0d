"""Shared plumbing of the sync and async clients: channel options, retries, watch events, moves."""

from __future__ import annotations

import datetime as _dt
import random
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional, Sequence, Union

import grpc
from google.protobuf import timestamp_pb2

from ._proto import lead_pb2
from ._proto import leadboard_pb2 as svc
from ._values import parse_timestamp

# Keepalive suited to long pipelines: a ping after 5 minutes of silence (the
# gRPC server's default minimum ping interval, so servers never answer with
# GOAWAY "too_many_pings"), 20 s to answer. Long-lived watches also get the
# server's progress heartbeats. Message limits fit a 1 MiB enrichment package.
DEFAULT_CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.keepalive_time_ms", 300_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 0),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 16 * 1024 * 1024),
    ("grpc.enable_retries", 0),  # the SDK retries itself, re-sending whole batches
    ("grpc.primary_user_agent", "leadboard-python/0.1"),
)

#: Codes on which a batch is re-sent and a unary read retried.
RETRYABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})

#: Codes on which a watch resumes from its last revision.
WATCH_RESUME_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.CANCELLED,  # only when the SDK did not cancel it itself
        grpc.StatusCode.INTERNAL,  # e.g. RST_STREAM when a server dies mid-stream
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter.

    Attributes:
        max_attempts: attempts per batch or unary call (including the first);
            0 retries forever. Watches always retry (see ``Client.watch``).
        initial_backoff: seconds before the first retry.
        max_backoff: the longest pause between attempts.
        multiplier: growth of the pause per attempt.
    """

    max_attempts: int = 8
    initial_backoff: float = 0.2
    max_backoff: float = 10.0
    multiplier: float = 2.0

    def delay(self, attempt: int) -> float:
        """The pause before retry number ``attempt`` (1-based), jittered."""
        ceiling = min(self.max_backoff, self.initial_backoff * (self.multiplier ** max(0, attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)

    def allows(self, attempt: int) -> bool:
        """Whether retry number ``attempt`` (1-based) may run."""
        return self.max_attempts <= 0 or attempt < self.max_attempts


def channel_options(extra: Optional[Sequence[tuple[str, Any]]]) -> list[tuple[str, Any]]:
    """The default options, overridden by ``extra`` key by key."""
    merged = dict(DEFAULT_CHANNEL_OPTIONS)
    for key, value in extra or ():
        merged[key] = value
    return list(merged.items())


def auth_metadata(token: Optional[str]) -> tuple[tuple[str, str], ...]:
    """``authorization: Bearer <token>`` metadata, or nothing."""
    return (("authorization", f"Bearer {token}"),) if token else ()


#: A time bound of a query: a datetime (without a zone: UTC), a timedelta
#: (that long before now), an ISO 8601 string or Unix seconds, or None (no bound).
TimeBound = Union[_dt.datetime, _dt.timedelta, str, float, int, timestamp_pb2.Timestamp, None]


def to_timestamp(value: TimeBound, name: str = "time", now: Optional[_dt.datetime] = None) -> timestamp_pb2.Timestamp:
    """A protobuf Timestamp of a time bound; a ``timedelta`` counts back from ``now`` (default: the clock).

    Raises:
        TypeError: ``value`` is not a time (e.g. a bool or a date).
        ValueError: ``value`` is None or a string that is not ISO 8601.
    """
    if isinstance(value, timestamp_pb2.Timestamp):
        out = timestamp_pb2.Timestamp()
        out.CopyFrom(value)
        return out
    if isinstance(value, _dt.timedelta):
        moment = (now or _dt.datetime.now(_dt.timezone.utc)) - value
    elif isinstance(value, (_dt.datetime, str, int, float)) and not isinstance(value, bool):
        parsed = parse_timestamp(value)
        if parsed is None:
            raise ValueError(f"{name}: {value!r} is not a time (ISO 8601, datetime, timedelta ago or Unix seconds)")
        moment = parsed
    else:
        raise TypeError(f"{name}: expected a datetime, a timedelta (that long ago), an ISO 8601 string or "
                        f"Unix seconds, got {type(value).__name__}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(moment.astimezone(_dt.timezone.utc))
    return out


_KIND_NAMES = {
    svc.CHANGE_KIND_CREATED: "created",
    svc.CHANGE_KIND_STAGE_CHANGED: "stage_changed",
    svc.CHANGE_KIND_ENRICHED: "enriched",
    svc.CHANGE_KIND_FAILED: "failed",
    svc.CHANGE_KIND_UPDATED: "updated",
    svc.CHANGE_KIND_SNAPSHOT: "snapshot",
    svc.CHANGE_KIND_MOVED: "moved",
    svc.CHANGE_KIND_CURRENT: "current",
    svc.CHANGE_KIND_STALLED: "stalled",
}


@dataclass(frozen=True)
class WatchEvent:
    """One item of a watch.

    Attributes:
        kind: ``"snapshot"``, ``"created"``, ``"stage_changed"``,
            ``"enriched"``, ``"failed"``, ``"updated"``, ``"moved"`` (a
            person moved the card with ``move_lead``) for lead changes;
            ``"current"`` for the lead's current card when the watch caught
            up past changes the server no longer keeps (``catch_up``): merge
            it like an update, nothing is dropped;
            ``"stalled"`` when a lead mid-run has had no event for its
            column's stall limit (the server's ``--stall_after``): the card's
            ``stalled_since`` holds when its last event arrived; the lead's
            next change carries a card without it (the flag is cleared);
            ``"synced"`` when the snapshot, replay or catch-up is complete;
            ``"progress"`` for heartbeats (only with ``include_progress``);
            ``"reset"`` when the watch had to start over from a snapshot
            (its revision was older than the server's change log and
            ``catch_up`` was off or the server does not know it): drop what
            you cached, a fresh snapshot follows.
        revision: the change's revision (for synced/progress, the revision the
            watch is up to date with).
        lead: the lead after the change (None for synced/progress/reset).
        previous_stage: the stage before the change, if any.
        agent: the agent whose event caused the change, if any.
        actor: who made the change (for ``moved``, the person's name).
        actor_kind: what kind of actor (``ActorKind``; 0 when unknown).
        note: the note a person gave with a move.
        response: the raw ``WatchLeadsResponse`` (None for reset); for a
            message that came in a batch, the inner message, which is what
            its own response would have been.
    """

    kind: str
    revision: int
    lead: Any = None
    previous_stage: str = ""
    agent: str = ""
    actor: str = ""
    actor_kind: int = 0
    note: str = ""
    response: Any = field(default=None, repr=False, compare=False)

    @staticmethod
    def from_response(resp: Any) -> "WatchEvent":
        which = resp.WhichOneof("change")
        if which == "lead_change":
            ch = resp.lead_change
            return WatchEvent(
                kind=_KIND_NAMES.get(ch.kind, "unspecified"),
                revision=int(resp.revision),
                lead=ch.lead,
                previous_stage=ch.previous_stage,
                agent=ch.agent,
                actor=ch.actor.name,
                actor_kind=int(ch.actor.kind),
                note=ch.note,
                response=resp,
            )
        return WatchEvent(kind=which or "unspecified", revision=int(resp.revision), response=resp)


def watch_messages(response: Any) -> Sequence[Any]:
    """The messages a ``WatchLeadsResponse`` stands for, in order: a ``batch``'s
    inner messages, or the response itself.

    A watch asks for batches to spare the server a write and the network a
    frame per message when it is behind; each inner message is exactly the
    response that would otherwise have been sent on its own, so unpacking
    here leaves callers and resume points as they were without batches.
    Batches are never nested, so one level is all there is.
    """
    if response.WhichOneof("change") == "batch":
        return response.batch.messages
    return (response,)


class WatchState:
    """Resume bookkeeping shared by the sync and async watches.

    ``resume_from`` is the revision to pass as ``since_revision`` on
    reconnect: it advances on live or replayed changes, ``synced`` and
    ``progress``, never on snapshot entries (a watch cut mid-snapshot starts
    the snapshot over). Catch-up (``current``) and conflated changes skip
    revisions but still arrive in revision order, so a watch cut among them
    resumes without a gap.

    Attributes:
        resume_from: the revision to resume from.
        reconnects: times the watch reconnected (any cause).
        resets: times it started over from a snapshot (OUT_OF_RANGE).
        cut_off: times the server cut it off as too slow
            (RESOURCE_EXHAUSTED; it then resumed). Only a watch with
            ``conflate=False`` can be cut off.
        duplicates_skipped: changes dropped as already delivered.
    """

    def __init__(self, since_revision: int) -> None:
        self.resume_from = int(since_revision)
        self.duplicates_skipped = 0
        self.reconnects = 0
        self.resets = 0
        self.cut_off = 0

    def start_over(self) -> "WatchEvent":
        """Records an OUT_OF_RANGE answer: the next connect asks for a snapshot."""
        self.resume_from = 0
        self.resets += 1
        return WatchEvent(kind="reset", revision=0)

    def accept(self, event: WatchEvent) -> bool:
        """Updates the state with ``event``; False if it repeats one already seen."""
        if event.kind == "snapshot":
            return True
        if event.kind in ("synced", "progress"):
            self.resume_from = max(self.resume_from, event.revision)
            return True
        if event.revision <= self.resume_from:
            self.duplicates_skipped += 1
            return False
        self.resume_from = event.revision
        return True


class MoveResult(NamedTuple):
    """What ``move_lead`` returns: ``result.lead``, ``result.moved`` (or ``lead, moved = ...``).

    Attributes:
        lead: the card after the move (its stage, revision, who moved it and
            the note); when nothing moved, the lead as it is.
        moved: False when the lead already was in ``to_stage`` (no new revision).
    """

    lead: lead_pb2.Lead
    moved: bool

    @property
    def revision(self) -> int:
        """The lead's revision after the move: pass it as the next move's ``expected_revision``."""
        return int(self.lead.revision)
