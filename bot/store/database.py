"""What the bot remembers between restarts, in one SQL database.

SQLAlchemy Core over `settings.resolved_database_url` (SQLite by default,
PostgreSQL works unchanged). Every table is declared on `metadata` in
`schema.py`; a feature that needs another table adds it there and a mixin
with its methods beside the others (`claims.py`, `feedback.py`,
`questions.py`, `subscriptions.py`, `posted_tips.py`, `outbox.py`,
`assistant_threads.py`, `experts.py`, `teaching.py`, each built on
`base.StoreBase`), composes that mixin into `Store` here, and
`create_schema` creates the table on start.
"""

from __future__ import annotations

from sqlalchemy.schema import CreateIndex, CreateTable

from bot.settings import Settings
from bot.store.assistant_threads import AssistantThreadsMixin
from bot.store.base import CONNECT_ATTEMPTS, CONNECT_BACKOFF_SECONDS
from bot.store.claims import ClaimsMixin
from bot.store.engine import engine_for, hash_user, serialize
from bot.store.experts import ExpertsMixin
from bot.store.feedback import FeedbackMixin
from bot.store.outbox import OutboxMixin
from bot.store.posted_tips import PostedTipsMixin
from bot.store.questions import QuestionsMixin
from bot.store.records import Candidate, Gap, PostedTip, Vote
from bot.store.schema import (
    GAP_SOURCES,
    QUESTION_CHARS,
    SCHEMA_LOCK,
    answered_threads,
    assistant_threads,
    feedback,
    feedback_reasons,
    metadata,
    posted_tips,
    processed_events,
    questions,
    thread_topics,
    tip_subscriptions,
    unanswered,
)
from bot.store.subscriptions import AutoanswerMixin, SubscriptionsMixin
from bot.store.teaching import TeachingMixin

__all__ = [
    "CONNECT_ATTEMPTS",
    "CONNECT_BACKOFF_SECONDS",
    "GAP_SOURCES",
    "QUESTION_CHARS",
    "SCHEMA_LOCK",
    "Candidate",
    "Gap",
    "PostedTip",
    "Store",
    "Vote",
    "answered_threads",
    "assistant_threads",
    "engine_for",
    "feedback",
    "feedback_reasons",
    "hash_user",
    "metadata",
    "posted_tips",
    "processed_events",
    "questions",
    "thread_topics",
    "tip_subscriptions",
    "unanswered",
]


class Store(
    ClaimsMixin,
    FeedbackMixin,
    QuestionsMixin,
    SubscriptionsMixin,
    AutoanswerMixin,
    PostedTipsMixin,
    OutboxMixin,
    AssistantThreadsMixin,
    ExpertsMixin,
    TeachingMixin,
):
    """Thread-safe: each method runs in its own short transaction."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """Cheap: connects (and creates a SQLite file) only on first use."""
        key = settings.user_hash_key
        return cls(
            engine_for(settings.resolved_database_url),
            salt=key.get_secret_value() if key else None,
        )

    def create_schema(self) -> None:
        """Create missing tables and indexes; replicas starting together take
        turns (PostgreSQL: an advisory lock), and on SQLite, which runs DDL
        outside a transaction, `IF NOT EXISTS` makes a table another process
        just created no error."""
        with self._begin() as conn:
            serialize(conn, SCHEMA_LOCK)
            for table in metadata.sorted_tables:
                conn.execute(CreateTable(table, if_not_exists=True))
                for index in table.indexes:
                    conn.execute(CreateIndex(index, if_not_exists=True))
        # The hashing key now, outside any caller's transaction (SQLite would
        # otherwise see a second writer inside the first).
        self.user_hash("")

    def close(self) -> None:
        self.engine.dispose()
