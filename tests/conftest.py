"""Shared fixtures: the real knowledge and the services built on it."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot import logs
from bot.compose import Services, retriever_config
from bot.knowledge.loading import load
from bot.knowledge.models import Knowledge
from bot.search.retriever import Retriever
from bot.settings import Settings
from bot.store.database import metadata
from bot.store.engine import engine_for

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE_DIR = ROOT / "knowledge"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HUMAN_CONTACT = "#stpm-guild"


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def services(knowledge: Knowledge) -> Services:
    """Real knowledge and retriever with default settings; no store."""
    settings = Settings(
        _env_file=None, knowledge_dir=KNOWLEDGE_DIR, human_contact=HUMAN_CONTACT
    )
    return Services(
        settings, knowledge, Retriever(knowledge, retriever_config(settings))
    )


class Clock:
    """A settable clock for code that takes `now`: no sleeping in tests."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _postgres_url() -> str:
    """The test PostgreSQL's URL; in CI its absence fails, elsewhere it skips."""
    url = os.environ.get("STPM_BOT_TEST_DATABASE_URL", "")
    why = ""
    if not url:
        why = "STPM_BOT_TEST_DATABASE_URL is not set"
    else:
        engine = engine_for(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as exc:
            why = f"PostgreSQL at {url} is not reachable ({exc.orig})"
        finally:
            engine.dispose()
    if why and os.environ.get("CI"):
        pytest.fail(f"{why}; CI starts one with .ci/postgres")
    if why:
        pytest.skip(
            f"{why}; start one: export STPM_BOT_TEST_DATABASE_URL=$(bash .ci/postgres)"
        )
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on a SQLite file and on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'bot.db'}"
        return
    url = _postgres_url()
    engine = engine_for(url)
    metadata.drop_all(engine)
    engine.dispose()
    yield url
    engine = engine_for(url)
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Every log line (structlog and stdlib) as JSON into a string, as deployed."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure("DEBUG", "json", stream)
    yield stream
    structlog.reset_defaults()
    root.handlers[:], root.level = handlers, level


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """The JSON log lines written so far."""
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]
