"""A deployed database gains the columns the schema declares since, on SQLite
(and PostgreSQL when one is given, see tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    inspect,
    text,
)

from bot.store.database import SchemaError, Store, add_missing_columns
from bot.store.engine import engine_for
from tests.support.clock import SettableNow
from tests.support.logs import log_lines
from tests.support.paths import ROOT

CHANNEL = "D0DM0001"
OPENED = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _old_assistant_threads(engine: Engine) -> None:
    """`assistant_threads` as the previous version created it, with one row."""
    old = MetaData()
    table = Table(
        "assistant_threads",
        old,
        Column("channel", String(40), primary_key=True),
        Column("thread_ts", String(40), primary_key=True),
        Column("user_hash", String(64), nullable=False),
        Column("context", Text, nullable=False),
        Column("started_at", DateTime(timezone=True), nullable=False, index=True),
        Column("titled_at", DateTime(timezone=True), nullable=True),
    )
    old.create_all(engine)
    row = {
        "channel": CHANNEL,
        "thread_ts": "1.1",
        "user_hash": "ab" * 32,
        "context": '{"channel_id":"C1"}',
        "started_at": OPENED,
        "titled_at": None,
    }
    with engine.begin() as conn:
        conn.execute(insert(table), row)


def _columns(engine: Engine, table: str) -> list[str]:
    return [c["name"] for c in inspect(engine).get_columns(table)]


def test_an_old_table_gains_the_column_and_keeps_its_row(
    database_url: str, json_logs: io.StringIO
) -> None:
    """The new code on a database of the previous version: the column is
    added once (a second start adds nothing), the row is still there, and
    without a last use it is forgotten by its opening time."""
    engine = engine_for(database_url)
    _old_assistant_threads(engine)
    assert "used_at" not in _columns(engine, "assistant_threads")
    clock = SettableNow(OPENED)
    store = Store(engine, now=clock)
    store.create_schema()
    store.create_schema()
    assert "used_at" in _columns(engine, "assistant_threads")
    added = [e for e in log_lines(json_logs) if e["event"] == "store.column_added"]
    assert [("assistant_threads", "used_at")] == [
        (e["table"], e["column"]) for e in added
    ]
    assert {"channel_id": "C1"} == store.assistant_context(CHANNEL, "1.1")
    clock.now += dt.timedelta(days=89)
    assert 0 == store.forget_assistant_threads(dt.timedelta(days=90))
    assert store.is_assistant_thread(CHANNEL, "1.1")
    clock.now += dt.timedelta(days=2)
    assert 1 == store.forget_assistant_threads(dt.timedelta(days=90))
    assert not store.is_assistant_thread(CHANNEL, "1.1")
    store.close()


def test_a_column_another_process_added_meanwhile_is_no_error(
    database_url: str,
) -> None:
    """Another replica adds the column between this one's look and its
    ALTER TABLE: this one starts all the same."""
    engine = engine_for(database_url)
    _old_assistant_threads(engine)
    other = engine_for(database_url)
    raced: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _other_first(*args: Any) -> None:
        statement = str(args[2])
        if statement.startswith("ALTER TABLE") and not raced:
            raced.append(statement)
            with other.begin() as conn:
                conn.execute(text(statement))

    store = Store(engine)
    store.create_schema()
    assert raced
    assert "used_at" in _columns(engine, "assistant_threads")
    assert store.is_assistant_thread(CHANNEL, "1.1")
    store.close()
    other.dispose()


def test_processes_starting_together_on_an_old_sqlite_file_all_start(
    tmp_path: Path,
) -> None:
    """Four processes opening one old SQLite file at once: each starts, the
    column is there once, the row is kept."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = engine_for(url)
    _old_assistant_threads(engine)
    engine.dispose()
    script = (
        "import sys; from bot.store.database import Store; "
        "from bot.store.engine import engine_for; "
        "Store(engine_for(sys.argv[1])).create_schema()"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", script, url], cwd=ROOT)
        for _ in range(4)
    ]
    assert [0] * 4 == [run.wait(timeout=60) for run in runs]
    engine = engine_for(url)
    assert 1 == _columns(engine, "assistant_threads").count("used_at")
    assert Store(engine).is_assistant_thread(CHANNEL, "1.1")
    engine.dispose()


def test_a_column_existing_rows_cant_have_is_refused_by_name(
    database_url: str,
) -> None:
    """A NOT NULL column without a server default can't be added to rows
    already there: one line names the table and the column."""
    engine = engine_for(database_url)
    _old_assistant_threads(engine)
    new = Table(
        "assistant_threads",
        MetaData(),
        Column("channel", String(40), primary_key=True),
        Column("thread_ts", String(40), primary_key=True),
        Column("answers", Integer, nullable=False),
    )
    with pytest.raises(SchemaError) as raised, engine.begin() as conn:
        add_missing_columns(conn, new)
    message = str(raised.value)
    assert "\n" not in message
    assert "table assistant_threads lacks column answers" in message
    assert "NOT NULL without a server default" in message
    assert "answers" not in _columns(engine, "assistant_threads")
    engine.dispose()
