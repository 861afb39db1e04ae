"""What the bot remembers between restarts, in one SQL database.

SQLAlchemy Core over `settings.resolved_database_url` (SQLite by default,
PostgreSQL works unchanged). Every table is declared on `metadata` in
`schema.py`; a feature that needs another table adds it there and a mixin
with its methods beside the others (`claims.py`, `feedback.py`,
`questions.py`, `subscriptions.py`, `posted_tips.py`, each built on
`base.StoreBase`), composes that mixin into `Store` here, and
`create_schema` creates the table on start.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from bot.settings import Settings
from bot.store.base import CONNECT_ATTEMPTS, CONNECT_BACKOFF_SECONDS
from bot.store.claims import ClaimsMixin
from bot.store.engine import USER_SALT, _serialize, engine_for, hash_user
from bot.store.feedback import FeedbackMixin
from bot.store.posted_tips import PostedTipsMixin
from bot.store.questions import QuestionsMixin
from bot.store.records import Candidate, Gap, PostedTip, Vote
from bot.store.schema import (
    GAP_SOURCES,
    QUESTION_CHARS,
    SCHEMA_LOCK,
    answered_threads,
    feedback,
    metadata,
    posted_tips,
    processed_events,
    questions,
    tip_subscriptions,
    unanswered,
)
from bot.store.subscriptions import SubscriptionsMixin

__all__ = [
    "CONNECT_ATTEMPTS",
    "CONNECT_BACKOFF_SECONDS",
    "GAP_SOURCES",
    "QUESTION_CHARS",
    "SCHEMA_LOCK",
    "USER_SALT",
    "Candidate",
    "Gap",
    "PostedTip",
    "Store",
    "Vote",
    "answered_threads",
    "engine_for",
    "feedback",
    "hash_user",
    "metadata",
    "posted_tips",
    "processed_events",
    "questions",
    "tip_subscriptions",
    "unanswered",
]


SCHEMA_ATTEMPTS = 3  # one per process that can race it, in practice


class Store(
    ClaimsMixin,
    FeedbackMixin,
    QuestionsMixin,
    SubscriptionsMixin,
    PostedTipsMixin,
):
    """Thread-safe: each method runs in its own short transaction."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """Cheap: connects (and creates a SQLite file) only on first use."""
        return cls(engine_for(settings.resolved_database_url))

    def create_schema(self) -> None:
        """Create missing tables; replicas starting together take turns.

        On PostgreSQL they take turns through an advisory lock. SQLite runs
        DDL outside a transaction, so a process can find a table missing and
        then fail to create it because another process just did: then it
        checks again, and finds everything there.
        """
        for attempt in range(1, SCHEMA_ATTEMPTS + 1):
            try:
                with self._begin() as conn:
                    _serialize(conn, SCHEMA_LOCK)
                    metadata.create_all(conn)
                return
            except OperationalError as error:
                if attempt == SCHEMA_ATTEMPTS or "already exists" not in str(error):
                    raise

    def close(self) -> None:
        self.engine.dispose()
