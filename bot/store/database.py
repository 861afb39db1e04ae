"""What the bot remembers between restarts, in one SQL database.

SQLAlchemy Core over `settings.resolved_database_url` (SQLite by default,
PostgreSQL works unchanged). Every table is declared on `metadata` in
`schema.py`; a feature that needs another table adds it there and a mixin
with its methods beside the others (`claims.py`, `feedback.py`,
`questions.py`, `subscriptions.py`, `posted_tips.py`, `outbox.py`,
`assistant_threads.py`, `experts.py`, `teaching.py`, each built on
`base.StoreBase`), composes that mixin into `Store` here, and
`create_schema` creates the table on start. A column added to a table
already deployed is added to that table on start too, if it is nullable or
has a server default (existing rows need a value).
"""

from __future__ import annotations

import contextlib
from typing import Any

import structlog
from sqlalchemy import Column, Table, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.schema import CreateColumn, CreateIndex, CreateTable

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
    "SchemaError",
    "Store",
    "Vote",
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


class SchemaError(SQLAlchemyError):
    """The declared schema can't be brought onto the deployed tables; the
    message is one line naming the table and the column."""


def _add_column(conn: Connection, table: Table, column: Column[Any]) -> None:
    """`ALTER TABLE table ADD COLUMN column`, compiled for the dialect."""
    name = conn.dialect.identifier_preparer.format_table(table)
    spec = CreateColumn(column).compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE {name} ADD COLUMN {spec}"))


def _addable(table: Table, column: Column[Any]) -> None:
    """Raise `SchemaError` unless `column` can be added to rows already there."""
    why = ""
    if column.primary_key or column.unique or column.foreign_keys:
        why = "is a key (primary, unique or foreign)"
    elif not column.nullable and column.server_default is None:
        why = "is NOT NULL without a server default"
    if why:
        raise SchemaError(
            f"table {table.name} lacks column {column.name}, which {why}: it "
            "can't be added to a table that has rows; make it nullable or give "
            "it a server_default"
        )


def _columns(conn: Connection, table: Table) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table.name)}


def add_missing_columns(conn: Connection, table: Table) -> None:
    """Add each column `table` declares that its deployed table lacks.

    PostgreSQL runs this under the schema's advisory lock; SQLite runs DDL
    outside a transaction, so another process may add the same column
    between the look and the ALTER: a column found there afterwards is no
    error."""
    have = _columns(conn, table)
    for column in table.columns:
        if column.name in have:
            continue
        _addable(table, column)
        # PostgreSQL: a failed statement ends the transaction, unless it is
        # inside a savepoint of its own.
        savepoint = (
            conn.begin_nested()
            if conn.dialect.name == "postgresql"
            else contextlib.nullcontext()
        )
        try:
            with savepoint:
                _add_column(conn, table, column)
        except DBAPIError:
            if column.name not in _columns(conn, table):
                raise
            continue  # another process added it meanwhile
        structlog.get_logger().info(
            "store.column_added", table=table.name, column=column.name
        )


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
        """Create missing tables, columns and indexes; replicas starting
        together take turns (PostgreSQL: an advisory lock), and on SQLite,
        which runs DDL outside a transaction, `IF NOT EXISTS` makes a table
        another process just created no error (and a column, see
        `add_missing_columns`). A column that can't be added raises
        `SchemaError`, one line naming it."""
        with self._begin() as conn:
            serialize(conn, SCHEMA_LOCK)
            for table in metadata.sorted_tables:
                conn.execute(CreateTable(table, if_not_exists=True))
                add_missing_columns(conn, table)  # before its indexes
                for index in table.indexes:
                    conn.execute(CreateIndex(index, if_not_exists=True))
        # The hashing key now, outside any caller's transaction (SQLite would
        # otherwise see a second writer inside the first).
        self.user_hash("")

    def close(self) -> None:
        self.engine.dispose()
