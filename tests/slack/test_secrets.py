"""No token or signing secret reaches a log line; verification can't be turned off."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from slack_bolt import BoltRequest

from bot.compose import Core, assemble
from bot.slack.app import build_app, frontend
from bot.slack.http import HttpServer
from bot.store.database import Store
from bot.store.engine import engine_for
from tests.slack.conftest import RunningApp, make_settings
from tests.support.fake_slack import FakeSlack
from tests.support.harness import (
    SIGNING_SECRET,
    block_action,
    command,
    envelope,
    http_request,
    mention,
)
from tests.support.process import APP_TOKEN, BOT_TOKEN, Bot, bot_env, run_bot

IN_PROCESS_SECRETS = ("xoxb-test-token", SIGNING_SECRET)
SECRETS = (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET)


def assert_no_secret(text: str, secrets: tuple[str, ...] = SECRETS) -> None:
    for secret in secrets:
        assert secret not in text
        assert secret.split("-", 1)[1] not in text  # nor without its prefix


def test_a_full_slack_interaction_logs_no_secret(
    slack: RunningApp, json_logs: io.StringIO
) -> None:
    """Mention, command, button, a refused post and a bad signature, at DEBUG."""
    slack.send.event(envelope(mention("what does an stpm do?")))
    slack.send.command(command("/stpm", "cyber", slack.fake.response_url()))
    slack.send.action(
        block_action("feedback_up", "skill-cybersecurity", slack.fake.response_url())
    )
    slack.fake.fail_next("chat.postMessage", error="invalid_auth")
    slack.send.event(envelope(mention("cyber")))
    slack.send.secret = "wrong"
    slack.send.event(envelope(mention("cyber")))
    slack.drain()
    text = json_logs.getvalue()
    assert "faq.answered" in text and "slack.error" in text  # it did log
    assert_no_secret(text, IN_PROCESS_SECRETS)
    url = slack.fake.response_url()
    assert slack.fake.base_url + "[redacted]" in text  # logged, and redacted
    for spelt in (url, quote(url, safe=""), url.replace("/", "\\/")):
        assert spelt not in text


@pytest.mark.slow
def test_start_traffic_and_stop_of_the_real_process_log_no_secret(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """`stpm-bot run` at DEBUG: start, a question, SIGTERM → no secret on stderr."""
    bot = Bot.start(bot_env(fake_slack, tmp_path), tmp_path / "bot.log")
    try:
        assert 200 == bot.send.event(envelope(mention("what does an stpm do?"))).status
        fake_slack.wait_delivered("chat.postMessage")
        assert 0 == bot.terminate()
    finally:
        bot.kill()
    output = bot.output()
    assert "slack.started" in output and "slack.stopped" in output
    assert_no_secret(output)


@pytest.mark.parametrize(
    ("extra", "fail_auth"),
    [
        ({"STPM_BOT_ANSWER_THRESHOLD": "lots"}, False),  # invalid settings
        ({"SLACK_APP_TOKEN": APP_TOKEN, "PORT": "0"}, True),  # Slack refuses auth
        ({}, True),
    ],
)
def test_failed_starts_log_no_secret(
    fake_slack: FakeSlack,
    tmp_path: Path,
    extra: dict[str, str],
    fail_auth: bool,
) -> None:
    """A start that fails (bad setting, `invalid_auth`) names no secret."""
    if fail_auth:
        fake_slack.fail_next("auth.test", error="invalid_auth")
    done = run_bot(bot_env(fake_slack, tmp_path, **extra))
    assert 0 != done.returncode
    assert done.stderr
    assert_no_secret(done.stdout + done.stderr)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"log_level": "DEBUG"},
        {"SLACK_APP_TOKEN": None, "host": "0.0.0.0"},
    ],
)
def test_with_a_signing_secret_unsigned_requests_always_get_401(
    fake_slack: FakeSlack,
    slack_core: Core,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    overrides: dict[str, object],
) -> None:
    """No setting or variable turns verification off, in our server or in Bolt."""
    for name in (
        "STPM_BOT_REQUEST_VERIFICATION_ENABLED",
        "SLACK_REQUEST_VERIFICATION_ENABLED",
        "STPM_BOT_VERIFY_SIGNATURES",
    ):
        monkeypatch.setenv(name, "false")
    settings = make_settings(fake_slack, tmp_path, PORT=1, **overrides)
    app = build_app(
        assemble(
            settings, slack_core.library, Store(engine_for("sqlite://")), counted=False
        )
    )
    body = json.dumps(envelope(mention("hi")))
    unsigned = BoltRequest(body=body, headers={"content-type": "application/json"})
    assert 401 == app.dispatch(unsigned).status
    server = frontend(settings.model_copy(update={"port": 0}), app)
    assert isinstance(server, HttpServer)
    server.start()
    try:
        headers = {"Content-Type": "application/json"}
        response = http_request(
            server.address, "POST", "/slack/events", body.encode(), headers
        )
        assert 401 == response.status
    finally:
        server.stop()
