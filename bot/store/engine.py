"""Engines, the advisory locks that make transactions take turns, user hashes."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

SUPPORTED = ("sqlite", "postgresql")
EXAMPLES = "sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"


class DatabaseUrlError(ValueError):
    """`STPM_BOT_DATABASE_URL` names no database this bot can use: it does
    not parse, names another kind of database, or its driver is missing.
    The message is one line for the operator, without the password."""


def shown(url: str | URL) -> str:
    """`url` as it may be printed or logged: the password hidden."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that isn't one
        return "(not a URL)"
    return parsed.render_as_string(hide_password=True)


def why(error: BaseException) -> str:
    """What a failure to open or reach the store says, in one line: the
    driver's own message when there is one."""
    said = str(getattr(error, "orig", None) or error).splitlines()
    return (said or [type(error).__name__])[0][:200]


def _parsed(url: str) -> URL:
    """`url` parsed and checked: a database this store runs on."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that isn't one
        raise DatabaseUrlError(
            f"STPM_BOT_DATABASE_URL is not a database URL; use {EXAMPLES}"
        ) from None
    backend = parsed.get_backend_name()
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        dialect = None
    if backend not in SUPPORTED or dialect is None or dialect.is_async:
        raise DatabaseUrlError(
            f"STPM_BOT_DATABASE_URL={shown(parsed)}: {parsed.drivername} is not "
            f"supported; use {EXAMPLES}"
        )
    return parsed


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
    """An engine for `url`; for a SQLite file, its folder is created and WAL on.
    Raises `DatabaseUrlError` for a URL no engine can be made for."""
    parsed = _parsed(url)
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except ImportError as error:  # the dialect imports its driver here
            raise DatabaseUrlError(
                f"STPM_BOT_DATABASE_URL={shown(parsed)} needs the Python driver "
                f"{error.name or parsed.get_driver_name()}, which is not installed; "
                "use postgresql+psycopg:// with psycopg (pip install "
                "'stpm-bot[postgres]', in the image already)"
            ) from None
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
    # Only a new file is opened here: closing a descriptor of a database this
    # process has open drops SQLite's locks on it (POSIX locks are per
    # process), and another process could then reset the WAL under it.
    with contextlib.suppress(OSError):
        Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not Path(database).exists():
            os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
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
