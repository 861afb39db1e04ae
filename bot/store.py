"""What the bot remembers between restarts, in one SQL database.

SQLAlchemy Core over `settings.resolved_database_url` (SQLite by default,
PostgreSQL works unchanged). Every table is declared on `metadata`; a feature
that needs another table adds it there and a method here, and `create_schema`
creates it on start.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    create_engine,
    delete,
    event,
    exists,
    insert,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from bot.settings import Settings

# A constant salt keeps a user's hash stable across restarts and databases, so
# votes can be counted per person without storing who they are.
USER_SALT = "stpm-bot/feedback/v1"
QUESTION_CHARS = 500

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


@dataclass(frozen=True)
class Vote:
    question: str
    entry_id: str
    vote: int
    user_hash: str
    created_at: dt.datetime


def hash_user(user_id: str, salt: str = USER_SALT) -> str:
    return hashlib.sha256(f"{salt}:{user_id}".encode()).hexdigest()


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
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 15})

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
    ) -> None:
        self.engine = engine
        self._salt = salt
        self._now = now

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """Cheap: connects (and creates a SQLite file) only on first use."""
        return cls(engine_for(settings.resolved_database_url))

    def create_schema(self) -> None:
        metadata.create_all(self.engine)

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
            with self.engine.begin() as conn:
                conn.execute(insert(processed_events), rows)
        except IntegrityError:
            return False
        return True

    def prune_events(self, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
        """Forget claims Slack can no longer retry (it retries for minutes)."""
        cutoff = self._now() - older_than
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(processed_events).where(processed_events.c.claimed_at < cutoff)
            )
        return result.rowcount

    # -- answered threads -------------------------------------------------

    def remember_thread(self, channel: str, thread_ts: str) -> None:
        row = {"channel": channel, "thread_ts": thread_ts, "answered_at": self._now()}
        try:
            with self.engine.begin() as conn:
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
        with self.engine.connect() as conn:
            return bool(conn.execute(query).scalar())

    # -- feedback ---------------------------------------------------------

    def record_vote(
        self, question: str, entry_id: str, vote: int, user_id: str
    ) -> None:
        """One vote per person for an answer to a question; the latest wins."""
        user_hash = hash_user(user_id, self._salt)
        question = question[:QUESTION_CHARS]
        same = (
            (feedback.c.user_hash == user_hash)
            & (feedback.c.entry_id == entry_id)
            & (feedback.c.question == question)
        )
        with self.engine.begin() as conn:
            conn.execute(delete(feedback).where(same))
            conn.execute(
                insert(feedback),
                {
                    "question": question,
                    "entry_id": entry_id,
                    "vote": 1 if vote > 0 else -1,
                    "user_hash": user_hash,
                    "created_at": self._now(),
                },
            )

    def votes(self) -> list[Vote]:
        query = select(
            feedback.c.question,
            feedback.c.entry_id,
            feedback.c.vote,
            feedback.c.user_hash,
            feedback.c.created_at,
        ).order_by(feedback.c.id)
        with self.engine.connect() as conn:
            return [Vote(*row) for row in conn.execute(query)]
