"""What the bot remembers between restarts, in one SQL database.

SQLAlchemy Core over `settings.resolved_database_url` (SQLite by default,
PostgreSQL works unchanged). Every table is declared on `metadata`; a feature
that needs another table adds it there and a method here, and `create_schema`
creates it on start.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import StaticPool

from bot.schedule import Subscription
from bot.settings import Settings, parse_hhmm

# A constant salt keeps a user's hash stable across restarts and databases, so
# votes can be counted per person without storing who they are.
USER_SALT = "stpm-bot/feedback/v1"
QUESTION_CHARS = 500
SCHEMA_LOCK = "stpm-bot/schema"  # the advisory lock create_schema takes
CONNECT_ATTEMPTS = 3
CONNECT_BACKOFF_SECONDS = 0.2  # then 0.4: about half a second in all

metadata = MetaData()

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", String(QUESTION_CHARS), nullable=False),
    Column("entry_id", String(80), nullable=False, index=True),
    Column("vote", SmallInteger, nullable=False),
    Column("user_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("event_key", String(200), primary_key=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False, index=True),
)

answered_threads = Table(
    "answered_threads",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("thread_ts", String(40), primary_key=True),
    Column("answered_at", DateTime(timezone=True), nullable=False),
)

# Daily tips: one row per channel. `active` is what the channel asked for;
# `paused_reason` is set when Slack refused a post (not_in_channel, ...).
tip_subscriptions = Table(
    "tip_subscriptions",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("post_time", String(5), nullable=False),  # HH:MM, local time
    Column("active", Boolean, nullable=False),
    Column("paused_reason", String(80), nullable=True),
    Column("source", String(16), nullable=False),  # "settings" or "slack"
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The primary key is the claim: whoever inserts (channel, date) first posts.
posted_tips = Table(
    "posted_tips",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("local_date", Date, primary_key=True),
    Column("tip_id", String(80), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=True),
)

# Every question the bot answered, suggested for or could not answer: the
# denominators of the report's rates. No text and no user here.
questions = Table(
    "questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asked_at", DateTime(timezone=True), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("entry_id", String(80), nullable=True),
    Column("score", Float, nullable=False),
)

# The knowledge gaps: questions without a confident answer, and 👎 answers.
unanswered = Table(
    "unanswered",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", String(QUESTION_CHARS), nullable=False),
    Column("candidates", Text, nullable=False),  # JSON [{"id", "score"}], best first
    Column("entry_id", String(80), nullable=True),  # the 👎 entry, or the best
    Column("source", String(16), nullable=False),  # GAP_SOURCES
    Column("user_hash", String(64), nullable=True),  # None: the terminal
    Column("asked_at", DateTime(timezone=True), nullable=False, index=True),
)

GAP_SOURCES = ("no_match", "suggested", "downvote")


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


def hash_user(user_id: str, salt: str = USER_SALT) -> str:
    return hashlib.sha256(f"{salt}:{user_id}".encode()).hexdigest()


def _lock_key(*parts: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _serialize(conn: Connection, *parts: str) -> None:
    """Make transactions about the same `parts` take turns until they commit.

    SQLite already runs one writing transaction at a time; PostgreSQL's
    READ COMMITTED lets two delete-then-insert transactions both see nothing
    to delete, so they take a transaction-scoped advisory lock first.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(*parts)}
        )


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def engine_for(url: str) -> Engine:
    """An engine for `url`; for a SQLite file, its folder is created and WAL on."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database or ":memory:"
    if database == ":memory:":
        return create_engine(
            url,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
    # If the folder can't be made, connecting fails with a clear error instead.
    with contextlib.suppress(OSError):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # Enough pooled connections for every listener thread: a connection
    # opened past the pool is closed after use, and reopening one (with its
    # pragmas) under load cost more than the queries.
    engine = create_engine(
        url, connect_args={"timeout": 15}, pool_size=32, max_overflow=32
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets listener threads read while one writes.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class Store:
    """Thread-safe: each method runs in its own short transaction."""

    def __init__(
        self,
        engine: Engine,
        salt: str = USER_SALT,
        now: Callable[[], dt.datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self._salt = salt
        self._now = now
        self._sleep = sleep

    def _connect(self) -> Connection:
        """A connection, retried a few times if the database is briefly away
        (a failover, a restart). Only connecting is retried: nothing has been
        sent yet, so a retry can't run a statement twice."""
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            try:
                return self.engine.connect()
            except OperationalError as error:
                if attempt == CONNECT_ATTEMPTS:
                    raise
                structlog.get_logger().warning(
                    "store.connect_retry", attempt=attempt, error=str(error.orig)[:200]
                )
                self._sleep(CONNECT_BACKOFF_SECONDS * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """One transaction, committed at the end unless it raised."""
        with self._connect() as conn, conn.begin():
            yield conn

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """Cheap: connects (and creates a SQLite file) only on first use."""
        return cls(engine_for(settings.resolved_database_url))

    def create_schema(self) -> None:
        """Create missing tables; replicas starting together take turns."""
        with self._begin() as conn:
            _serialize(conn, SCHEMA_LOCK)  # racing CREATE TABLEs: one would fail
            metadata.create_all(conn)

    def close(self) -> None:
        self.engine.dispose()

    # -- processed events -------------------------------------------------

    def claim(self, keys: Iterable[str]) -> bool:
        """True for the first caller to claim every one of `keys`, in any process.

        The primary key makes the insert the arbiter, so a retried event or a
        second process racing on the same event never both get `True`.
        """
        now = self._now()
        rows = [{"event_key": k[:200], "claimed_at": now} for k in dict.fromkeys(keys)]
        if not rows:
            return True
        try:
            with self._begin() as conn:
                conn.execute(insert(processed_events), rows)
        except IntegrityError:
            return False
        return True

    def release(self, keys: Iterable[str]) -> None:
        """Give up claims whose work failed, so a retry can claim them again."""
        unique = [k[:200] for k in dict.fromkeys(keys)]
        with self._begin() as conn:
            conn.execute(
                delete(processed_events).where(processed_events.c.event_key.in_(unique))
            )

    def prune_events(self, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
        """Forget claims Slack can no longer retry (it retries for minutes)."""
        cutoff = self._now() - older_than
        with self._begin() as conn:
            result = conn.execute(
                delete(processed_events).where(processed_events.c.claimed_at < cutoff)
            )
        return result.rowcount

    # -- answered threads -------------------------------------------------

    def remember_thread(self, channel: str, thread_ts: str) -> None:
        row = {"channel": channel, "thread_ts": thread_ts, "answered_at": self._now()}
        try:
            with self._begin() as conn:
                conn.execute(insert(answered_threads), row)
        except IntegrityError:
            pass  # already remembered

    def answered_in(self, channel: str, thread_ts: str) -> bool:
        query = select(
            exists().where(
                answered_threads.c.channel == channel,
                answered_threads.c.thread_ts == thread_ts,
            )
        )
        with self._connect() as conn:
            return bool(conn.execute(query).scalar())

    # -- feedback ---------------------------------------------------------

    def record_vote(
        self,
        question: str,
        entry_id: str,
        vote: int,
        user_id: str,
        candidates: Sequence[Candidate] = (),
    ) -> None:
        """One vote per person for an answer to a question; the latest wins.

        A 👎 is also a knowledge gap, recorded with `candidates` (what the
        retriever ranks for the question now); a later 👍 withdraws it.
        """
        user_hash = hash_user(user_id, self._salt)
        question = question[:QUESTION_CHARS]
        same = (
            (feedback.c.user_hash == user_hash)
            & (feedback.c.entry_id == entry_id)
            & (feedback.c.question == question)
        )
        same_gap = (
            (unanswered.c.source == "downvote")
            & (unanswered.c.user_hash == user_hash)
            & (unanswered.c.entry_id == entry_id)
            & (unanswered.c.question == question)
        )
        now = self._now()
        row = {"question": question, "entry_id": entry_id, "user_hash": user_hash}
        with self._begin() as conn:
            _serialize(conn, "vote", user_hash, entry_id, question)
            conn.execute(delete(feedback).where(same))
            conn.execute(delete(unanswered).where(same_gap))
            conn.execute(
                insert(feedback),
                row | {"vote": 1 if vote > 0 else -1, "created_at": now},
            )
            if vote < 0:
                gap = {"source": "downvote", "asked_at": now}
                conn.execute(
                    insert(unanswered), row | gap | _candidates_column(candidates)
                )

    def votes(self, since: dt.datetime | None = None) -> list[Vote]:
        query = select(
            feedback.c.question,
            feedback.c.entry_id,
            feedback.c.vote,
            feedback.c.user_hash,
            feedback.c.created_at,
        ).order_by(feedback.c.id)
        if since is not None:
            query = query.where(feedback.c.created_at >= since)
        with self._connect() as conn:
            return [Vote(*row) for row in conn.execute(query)]

    # -- questions and knowledge gaps ---------------------------------------

    def record_question(
        self,
        question: str,
        status: str,
        candidates: Sequence[Candidate],
        user_id: str | None = None,
    ) -> None:
        """Count every question; keep those without a confident answer as gaps."""
        now = self._now()
        best = candidates[0] if candidates else None
        counted = {
            "asked_at": now,
            "status": status,
            "entry_id": best.entry_id if best else None,
            "score": best.score if best else 0.0,
        }
        with self._begin() as conn:
            conn.execute(insert(questions), counted)
            if status in GAP_SOURCES:
                gap = {
                    "question": question[:QUESTION_CHARS],
                    "entry_id": counted["entry_id"],
                    "source": status,
                    "user_hash": hash_user(user_id, self._salt) if user_id else None,
                    "asked_at": now,
                }
                conn.execute(insert(unanswered), gap | _candidates_column(candidates))

    def question_counts(self, since: dt.datetime | None = None) -> dict[str, int]:
        """How many questions got each status (answered, suggested, no_match)."""
        query = select(questions.c.status, func.count()).group_by(questions.c.status)
        if since is not None:
            query = query.where(questions.c.asked_at >= since)
        with self._connect() as conn:
            return {str(status): int(n) for status, n in conn.execute(query)}

    def gaps(self, since: dt.datetime | None = None) -> list[Gap]:
        query = select(
            unanswered.c.question,
            unanswered.c.candidates,
            unanswered.c.entry_id,
            unanswered.c.source,
            unanswered.c.user_hash,
            unanswered.c.asked_at,
        ).order_by(unanswered.c.id)
        if since is not None:
            query = query.where(unanswered.c.asked_at >= since)
        with self._connect() as conn:
            rows = conn.execute(query).all()
        return [
            Gap(q, _parse_candidates(c), e, s, u, _aware(t))
            for q, c, e, s, u, t in rows
        ]

    # -- daily tips: subscriptions ---------------------------------------------

    def subscribe(self, channel: str, at: dt.time, source: str = "slack") -> None:
        """Tips on for `channel` at local time `at`; clears a pause."""
        now = self._now()
        values = {
            "post_time": at.strftime("%H:%M"),
            "active": True,
            "paused_reason": None,
            "source": source,
            "updated_at": now,
        }
        change = (
            update(tip_subscriptions)
            .where(tip_subscriptions.c.channel == channel)
            .values(values)
        )
        try:
            with self._begin() as conn:
                if not conn.execute(change).rowcount:
                    row = values | {"channel": channel, "created_at": now}
                    conn.execute(insert(tip_subscriptions), row)
        except IntegrityError:  # created by someone else meanwhile: change it
            with self._begin() as conn:
                conn.execute(change)

    def unsubscribe(self, channel: str) -> bool:
        """Tips off for `channel`; False if they weren't on."""
        query = (
            update(tip_subscriptions)
            .where(tip_subscriptions.c.channel == channel)
            .where(tip_subscriptions.c.active.is_(True))
            .values(
                active=False, paused_reason=None, source="slack", updated_at=self._now()
            )
        )
        with self._begin() as conn:
            return bool(conn.execute(query).rowcount)

    def pause(self, channel: str, reason: str) -> None:
        """Stop posting to `channel` until someone turns tips on there again."""
        query = (
            update(tip_subscriptions)
            .where(tip_subscriptions.c.channel == channel)
            .values(paused_reason=reason[:80], updated_at=self._now())
        )
        with self._begin() as conn:
            conn.execute(query)

    def seed_subscriptions(self, channels: Iterable[str], at: dt.time) -> None:
        """Subscribe the configured channels. A channel already in the store
        keeps its state; if nobody changed it from Slack, it takes the time."""
        for channel in dict.fromkeys(channels):
            seeded = (tip_subscriptions.c.channel == channel) & (
                tip_subscriptions.c.source == "settings"
            )
            try:
                with self._begin() as conn:
                    conn.execute(
                        update(tip_subscriptions)
                        .where(seeded)
                        .values(post_time=at.strftime("%H:%M"))
                    )
                    if not self._subscriptions(conn, channel):
                        conn.execute(insert(tip_subscriptions), self._seed(channel, at))
            except IntegrityError:
                pass  # another process seeded it at the same moment

    def _seed(self, channel: str, at: dt.time) -> dict[str, Any]:
        now = self._now()
        return {
            "channel": channel,
            "post_time": at.strftime("%H:%M"),
            "active": True,
            "paused_reason": None,
            "source": "settings",
            "created_at": now,
            "updated_at": now,
        }

    def subscription(self, channel: str) -> Subscription | None:
        with self._connect() as conn:
            found = self._subscriptions(conn, channel)
        return found[0] if found else None

    def subscriptions(self) -> list[Subscription]:
        """Every channel ever subscribed, on, off or paused."""
        with self._connect() as conn:
            return self._subscriptions(conn)

    def _subscriptions(
        self, conn: Connection, channel: str | None = None
    ) -> list[Subscription]:
        t = tip_subscriptions
        query = select(t.c.channel, t.c.post_time, t.c.active, t.c.paused_reason)
        if channel is not None:
            query = query.where(t.c.channel == channel)
        rows = conn.execute(query.order_by(t.c.channel)).all()
        return [Subscription(c, parse_hhmm(at), bool(a), r) for c, at, a, r in rows]

    # -- daily tips: what was posted ---------------------------------------------

    def claim_tip(self, channel: str, date: dt.date, tip_id: str) -> bool:
        """True for the one caller, in any process, that may post `channel`'s
        tip for `date`. The primary key is the arbiter, as in `claim`."""
        row = {
            "channel": channel,
            "local_date": date,
            "tip_id": tip_id,
            "claimed_at": self._now(),
            "posted_at": None,
        }
        try:
            with self._begin() as conn:
                conn.execute(insert(posted_tips), row)
        except IntegrityError:
            return False
        return True

    def _tip_row(self, channel: str, date: dt.date) -> Any:
        return (posted_tips.c.channel == channel) & (posted_tips.c.local_date == date)

    def mark_tip_posted(self, channel: str, date: dt.date) -> None:
        query = (
            update(posted_tips)
            .where(self._tip_row(channel, date))
            .values(posted_at=self._now())
        )
        with self._begin() as conn:
            conn.execute(query)

    def release_tip(self, channel: str, date: dt.date) -> None:
        """Give up a claim whose post Slack refused, so a later look may retry."""
        query = delete(posted_tips).where(
            self._tip_row(channel, date) & posted_tips.c.posted_at.is_(None)
        )
        with self._begin() as conn:
            conn.execute(query)

    def claimed_tips(self, dates: Iterable[dt.date]) -> set[tuple[str, dt.date]]:
        """(channel, date) of every claim on `dates`, posted or not."""
        query = select(posted_tips.c.channel, posted_tips.c.local_date).where(
            posted_tips.c.local_date.in_(list(dates))
        )
        with self._connect() as conn:
            return {(c, d) for c, d in conn.execute(query)}

    def posted_tips(self, channel: str | None = None) -> list[PostedTip]:
        """Every claim, oldest date first (a channel's rotation history)."""
        t = posted_tips
        query = select(t.c.channel, t.c.local_date, t.c.tip_id, t.c.posted_at)
        if channel is not None:
            query = query.where(t.c.channel == channel)
        with self._connect() as conn:
            rows = conn.execute(query.order_by(t.c.local_date, t.c.channel)).all()
        return [PostedTip(c, d, tip, at is not None) for c, d, tip, at in rows]


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
