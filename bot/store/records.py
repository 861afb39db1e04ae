"""The frozen rows the store hands back, and how candidates are kept as JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float


@dataclass(frozen=True)
class Gap:
    question: str
    candidates: tuple[Candidate, ...]
    entry_id: str | None
    source: str
    user_hash: str | None
    asked_at: dt.datetime


@dataclass(frozen=True)
class PostedTip:
    channel: str
    date: dt.date
    tip_id: str
    posted: bool


@dataclass(frozen=True)
class Vote:
    question: str
    entry_id: str
    vote: int
    user_hash: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Reason:
    """Why someone found an answer not helpful."""

    question: str
    entry_id: str
    reason: str
    note: str


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _candidates_column(candidates: Sequence[Candidate]) -> dict[str, str]:
    data = [{"id": c.entry_id, "score": c.score} for c in candidates]
    return {"candidates": json.dumps(data, separators=(",", ":"))}


def _parse_candidates(text: str) -> tuple[Candidate, ...]:
    try:
        return tuple(
            Candidate(str(c["id"]), float(c["score"])) for c in json.loads(text)
        )
    except (ValueError, TypeError, KeyError):
        return ()


@dataclass(frozen=True)
class Subscription:
    channel: str
    post_time: dt.time
    active: bool = True
    paused_reason: str | None = None

    @property
    def receiving(self) -> bool:
        """Subscribed, and Slack hasn't refused a post since."""
        return self.active and self.paused_reason is None


@dataclass(frozen=True)
class Topic:
    """What a conversation is about: the entry last answered, what "tell me
    more" has shown since, and who asked (hashed)."""

    entry_id: str
    shown: tuple[str, ...]
    asker_hash: str


@dataclass(frozen=True)
class Pending:
    """An acknowledged Slack request waiting in the outbox."""

    id: int
    body: str
    headers: dict[str, list[str]]
    attempts: int
    created_at: dt.datetime


@dataclass(frozen=True)
class ExpertQuestion:
    """A question passed to the experts, and where its answer goes."""

    id: int
    question: str
    entry_id: str
    asker: str | None  # the Slack id, until the question is answered
    channel: str
    thread_ts: str
    post_channel: str
    post_ts: str
    status: str
    reply: str | None
    answered_by: str | None


@dataclass(frozen=True)
class Change:
    """Something a curator taught in Slack, pending or applied."""

    id: int
    kind: str  # "phrasing" or "entry"
    entry_id: str
    title: str | None
    answer: str | None
    question: str
    taught_by: str
    taught_at: dt.datetime
    status: str
    applied_at: dt.datetime | None
