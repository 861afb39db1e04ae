"""Shared fixtures: a clean environment, the real knowledge, a core built on it."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot import logs
from bot.compose import Core
from bot.knowledge.loading import load
from bot.knowledge.models import Knowledge
from bot.store.database import metadata
from bot.store.engine import engine_for
from tests.support.core import make_core
from tests.support.paths import KNOWLEDGE_DIR

# The variables the bot and Slack's libraries read: a developer's shell must
# not change a test's result.
OWN_PREFIXES = ("STPM_BOT_", "SLACK_")
KEPT = frozenset({"STPM_BOT_TEST_DATABASE_URL"})  # how CI hands in PostgreSQL


@pytest.fixture(scope="session", autouse=True)
def clean_environ(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The whole run, session fixtures included, sees none of the bot's or
    Slack's settings (tests that set one use their own `monkeypatch`), and
    the default data directory is a throwaway one, not the developer's."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(OWN_PREFIXES) and name not in KEPT:
                patch.delenv(name)
        patch.delenv("PORT", raising=False)
        patch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
        yield


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def core(knowledge: Knowledge) -> Core:
    """Real knowledge and retriever with the shipped settings; counts nothing."""
    return make_core(knowledge)


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
