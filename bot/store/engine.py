"""Engines, the advisory locks that make transactions take turns, user hashes."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import StaticPool


def hash_user(user_id: str, key: str) -> str:
    """A keyed hash (HMAC-SHA256) of a Slack user id: stable, so votes count
    once per person, and without the deployment's key not even a list of
    every user id in the workspace says whose it is."""
    return hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def lock_key(*parts: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks, named by `parts`."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def serialize(conn: Connection, key: int) -> None:
    """Make transactions holding the same `key` take turns until they commit.

    SQLite already runs one writing transaction at a time; PostgreSQL's
    READ COMMITTED lets two delete-then-insert transactions both see nothing
    to delete, so they take a transaction-scoped advisory lock first.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


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
    # Private to the bot's user: the store holds people's questions. (SQLite
    # gives its -wal and -shm files the database file's mode.)
    with contextlib.suppress(OSError):
        Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
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
