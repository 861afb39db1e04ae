"""Faults: Slack failing for a while, SIGTERM under traffic, the database away."""

from __future__ import annotations

import io
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from bot.slack.client import (
    CONNECTION_RETRIES,
    RATE_LIMIT_RETRIES,
    SERVER_ERROR_RETRIES,
)
from bot.store.database import CONNECT_ATTEMPTS, Store
from bot.store.engine import engine_for
from tests.slack.conftest import RunningApp
from tests.support.fake_slack import FakeSlack
from tests.support.harness import envelope, http_request, mention
from tests.support.logs import log_lines
from tests.support.process import Bot, bot_env, run_bot

QUESTION = "what does an stpm do?"


def posts(slack: RunningApp) -> list[Any]:
    return [c for c in slack.fake.calls if c.method == "chat.postMessage"]


def still_serving(slack: RunningApp) -> None:
    """/healthz is 200 and the next question is answered."""
    assert 200 == http_request(slack.server.address, "GET", "/healthz").status
    slack.fake.reset()
    assert 200 == slack.send.event(envelope(mention(QUESTION, "C0NEXT01"))).status
    assert 1 == len(slack.fake.wait_delivered("chat.postMessage"))


@pytest.mark.parametrize(
    ("failure", "attempts"),
    [
        ({"status": 500, "error": "internal_error"}, 1 + SERVER_ERROR_RETRIES),
        ({"status": 429, "retry_after": 0}, 1 + RATE_LIMIT_RETRIES),
        ({"status": 200, "delay": 1.5}, 1 + CONNECTION_RETRIES),  # timeouts
    ],
    ids=["500", "429", "timeout"],
)
def test_slack_failing_is_retried_then_given_up_and_the_server_keeps_serving(
    slack: RunningApp,
    json_logs: io.StringIO,
    failure: dict[str, Any],
    attempts: int,
) -> None:
    """Every attempt fails: retried, one logged give-up, then business as usual."""
    slack.app.client.timeout = 1  # Bolt copies it into each request's client
    for _ in range(attempts):
        slack.fake.fail_next("chat.postMessage", **failure)
    assert 200 == slack.send.event(envelope(mention(QUESTION))).status
    slack.fake.wait_delivered("chat.postEphemeral", timeout=15)  # the apology
    assert attempts == len(posts(slack))
    assert [] == slack.fake.delivered("chat.postMessage")
    gave_up = [e for e in log_lines(json_logs) if e["event"] == "slack.error"]
    assert 1 == len(gave_up)
    assert gave_up[0]["request_id"]
    still_serving(slack)


def test_slack_failing_briefly_is_retried_and_the_reply_arrives(
    slack: RunningApp,
) -> None:
    """A 500 then a 429: the third attempt is posted, once."""
    slack.fake.fail_next("chat.postMessage", status=500, error="internal_error")
    slack.fake.fail_next("chat.postMessage", status=429, retry_after=0)
    assert 200 == slack.send.event(envelope(mention(QUESTION))).status
    slack.drain()
    assert 3 == len(posts(slack))
    assert 1 == len(slack.fake.delivered("chat.postMessage"))


@pytest.mark.slow
def test_sigterm_during_traffic_finishes_every_reply_then_exits_0(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """`stpm-bot run`: 30 mentions, SIGTERM as the last is acked → 30 replies, 0."""
    bot = Bot.start(bot_env(fake_slack, tmp_path), tmp_path / "bot.log")
    try:
        bodies = [envelope(mention(QUESTION, f"C0TERM{i:02d}")) for i in range(30)]
        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(lambda b: bot.send.event(b).status, bodies))
        assert [200] * 30 == statuses
        assert 0 == bot.terminate()
    finally:
        bot.kill()
    channels = sorted(
        c.body["channel"] for c in fake_slack.delivered("chat.postMessage")
    )
    assert [f"C0TERM{i:02d}" for i in range(30)] == channels


def test_an_unreachable_database_at_start_is_one_clear_line(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """PostgreSQL refusing connections → exit 2, a line naming it, no traceback."""
    url = "postgresql+psycopg://nobody:hunter2@127.0.0.1:1/x"
    done = run_bot(bot_env(fake_slack, tmp_path, STPM_BOT_DATABASE_URL=url))
    assert 2 == done.returncode
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("stpm-bot:")]
    assert ["stpm-bot: cannot reach the database"] == [line[:35] for line in lines]
    assert "127.0.0.1:1/x" in lines[0]
    assert "hunter2" not in done.stderr


def _failing_connects(store: Store, failures: int) -> list[int]:
    """The next `failures` connections fail as a database that went away would."""
    attempts: list[int] = []

    @event.listens_for(store.engine, "do_connect")
    def _connect(*_args: Any) -> None:
        attempts.append(1)
        if len(attempts) <= failures:
            raise sqlite3.OperationalError("unable to open database file")

    store.engine.dispose()  # no pooled connection to hide the outage
    return attempts


def test_a_database_briefly_away_is_retried_without_a_crash(tmp_path: Path) -> None:
    """Two failed connects, then it is back: the claim succeeds, after two waits."""
    waits: list[float] = []
    store = Store(engine_for(f"sqlite:///{tmp_path / 'bot.db'}"), sleep=waits.append)
    store.create_schema()
    attempts = _failing_connects(store, CONNECT_ATTEMPTS - 1)
    assert store.claim(["event:Ev1"])
    assert CONNECT_ATTEMPTS == len(attempts)
    assert [0.2, 0.4] == waits
    store.close()


def test_a_database_that_stays_away_raises_after_a_bounded_retry(
    tmp_path: Path,
) -> None:
    """Still away after every attempt: OperationalError, not an endless wait."""
    waits: list[float] = []
    store = Store(engine_for(f"sqlite:///{tmp_path / 'bot.db'}"), sleep=waits.append)
    store.create_schema()
    attempts = _failing_connects(store, CONNECT_ATTEMPTS)
    with pytest.raises(OperationalError):
        store.claim(["event:Ev1"])
    assert CONNECT_ATTEMPTS == len(attempts)
    assert CONNECT_ATTEMPTS - 1 == len(waits)
    store.close()
