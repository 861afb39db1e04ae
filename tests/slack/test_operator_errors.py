"""An operator's mistake (a wrong token, an unreachable Slack or database, a
database URL the bot can't use) is one line naming what to fix, exit 2: never
a traceback, never the "internal error" of a crash."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fake_slack import FakeSlack
from tests.support.process import APP_TOKEN, BOT_TOKEN, ROOT, bot_env, free_port

PASSWORD = "hunter2"


def _stpm_bot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env | {"STPM_BOT_SEMANTIC": "false", "STPM_BOT_LOG_LEVEL": "ERROR"},
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stderr
    for secret in (BOT_TOKEN, APP_TOKEN, PASSWORD):
        assert secret not in done.stdout + done.stderr
    return done


def _said(done: subprocess.CompletedProcess[str]) -> list[str]:
    """What the operator reads (errors only are logged here: nothing else)."""
    return done.stderr.splitlines()


COMMANDS = [("run",), ("post-tips",), ("report", "--post")]
JOBS = {"STPM_BOT_TIPS_CHANNELS": "C0OPS0001", "STPM_BOT_CURATORS_CHANNEL": "C0CUR0001"}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_token_slack_refuses_is_one_line_naming_it(
    fake_slack: FakeSlack, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """auth.test answers invalid_auth: exit 2, SLACK_BOT_TOKEN named, nothing posted."""
    fake_slack.fail_next("auth.test", error="invalid_auth")
    done = _stpm_bot(bot_env(fake_slack, tmp_path, **JOBS), *command)
    assert 2 == done.returncode
    said = _said(done)
    assert 1 == len(said)
    assert said[0].startswith("stpm-bot: Slack refused SLACK_BOT_TOKEN (invalid_auth)")
    assert [] == fake_slack.delivered("chat.postMessage")


def test_an_app_token_slack_refuses_is_named(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """Socket Mode with a refused app token: exit 2 naming SLACK_APP_TOKEN."""
    fake_slack.fail_next("apps.connections.open", error="invalid_auth")
    env = bot_env(fake_slack, tmp_path, SLACK_APP_TOKEN=APP_TOKEN)
    done = _stpm_bot(env, "run")
    assert 2 == done.returncode
    assert [
        "stpm-bot: Slack refused SLACK_APP_TOKEN (invalid_auth): check the token in "
        "the app's settings (OAuth & Permissions, or Basic Information for the app "
        "token). See README 'Slack app'."
    ] == _said(done)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_slack_is_one_line_naming_the_url(
    fake_slack: FakeSlack, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """Nothing listens at SLACK_API_BASE_URL: exit 2 with that URL and why."""
    url = f"http://127.0.0.1:{free_port()}/api/"
    env = bot_env(fake_slack, tmp_path, SLACK_API_BASE_URL=url, **JOBS)
    done = _stpm_bot(env, *command)
    assert 2 == done.returncode
    assert [
        f"stpm-bot: cannot reach Slack at {url} (connection refused): check "
        "SLACK_API_BASE_URL and the network"
    ] == _said(done)


def test_an_address_the_bot_cannot_listen_on_is_one_line(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """HTTP mode on a port another process holds: exit 2 naming
    STPM_BOT_HOST and PORT, and why (an address of no interface here, or no
    address at all, is said the same way)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        env = bot_env(fake_slack, tmp_path, STPM_BOT_HOST="127.0.0.1", PORT=str(port))
        done = _stpm_bot(env, "run")
    assert 2 == done.returncode
    assert [
        f"stpm-bot: cannot listen on 127.0.0.1:{port} (the port is in use by "
        "another process): check STPM_BOT_HOST and PORT"
    ] == _said(done)


UNUSABLE = [
    (
        f"mysql://bot:{PASSWORD}@127.0.0.1/stpm",
        "stpm-bot: STPM_BOT_DATABASE_URL=mysql://bot:***@127.0.0.1/stpm: mysql is "
        "not supported; use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
    ),
    (
        f"postgresql+asyncpg://bot:{PASSWORD}@127.0.0.1/stpm",
        "stpm-bot: STPM_BOT_DATABASE_URL=postgresql+asyncpg://bot:***@127.0.0.1/stpm:"
        " postgresql+asyncpg is not supported; use sqlite:///PATH or "
        "postgresql+psycopg://USER@HOST/DB",
    ),
    (
        f"bot:{PASSWORD}@127.0.0.1/stpm",
        "stpm-bot: STPM_BOT_DATABASE_URL is not a database URL; use sqlite:///PATH "
        "or postgresql+psycopg://USER@HOST/DB",
    ),
    (
        f"postgresql+psycopg://bot:{PASSWORD}@127.0.0.1:notaport/stpm",
        "stpm-bot: STPM_BOT_DATABASE_URL is not a database URL; use sqlite:///PATH "
        "or postgresql+psycopg://USER@HOST/DB",
    ),
    (
        f"postgresql+psycopg2://bot:{PASSWORD}@127.0.0.1/stpm",
        "stpm-bot: STPM_BOT_DATABASE_URL=postgresql+psycopg2://bot:***@127.0.0.1/stpm"
        " needs the Python driver psycopg2, which is not installed; use "
        "postgresql+psycopg:// with psycopg (pip install 'stpm-bot[postgres]', in "
        "the image already)",
    ),
]


@pytest.mark.parametrize("command", ["run", "report", "ask"])
@pytest.mark.parametrize(("url", "line"), UNUSABLE)
def test_a_database_url_the_bot_cannot_use_is_one_line(
    fake_slack: FakeSlack, tmp_path: Path, command: str, url: str, line: str
) -> None:
    """Another database, an async driver, garbage, a missing driver: exit 2,
    the URL shown without its password, before any work."""
    env = bot_env(fake_slack, tmp_path, STPM_BOT_DATABASE_URL=url)
    args = [command, "what is an stpm"] if command == "ask" else [command]
    done = _stpm_bot(env, *args)
    assert 2 == done.returncode
    assert [line] == _said(done)
    assert "" == done.stdout
    assert [] == fake_slack.calls


@pytest.mark.parametrize("command", [("report",), ("post-tips",)])
def test_an_unreachable_database_stops_the_jobs_in_one_line(
    fake_slack: FakeSlack, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """PostgreSQL refusing connections: exit 2 naming it, not a crash."""
    port = free_port()
    url = f"postgresql+psycopg://bot:{PASSWORD}@127.0.0.1:{port}/stpm"
    done = _stpm_bot(bot_env(fake_slack, tmp_path, STPM_BOT_DATABASE_URL=url), *command)
    assert 2 == done.returncode
    said = _said(done)
    assert 1 == len(said)
    assert said[0].startswith(
        f"stpm-bot: cannot reach the database postgresql+psycopg://bot:***@127.0.0.1:"
        f"{port}/stpm ("
    )
    assert said[0].endswith("); check STPM_BOT_DATABASE_URL")
