"""`GET /metrics` over real HTTP, and the request context on every log line."""

from __future__ import annotations

import datetime as dt
import io
import json

from prometheus_client.parser import text_string_to_metric_families

from bot.answers.schedule import Policy
from bot.slack.client import web_client
from bot.slack.tip_poster import TipPoster
from tests.slack.conftest import RunningApp
from tests.support.fake_slack import TEAM_ID
from tests.support.harness import envelope, http_request, mention
from tests.support.logs import log_lines

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
QUESTIONS = ("what does an stpm do?", "what is the wifi password", "cyber")


def scrape(slack: RunningApp) -> Samples:
    """Every sample /metrics shows now, by name and labels."""
    response = http_request(slack.server.address, "GET", "/metrics")
    assert 200 == response.status
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.body.decode())
        for s in family.samples
    }


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_metrics_are_served_in_prometheus_text_format(slack: RunningApp) -> None:
    """GET /metrics → 200 text/plain with every metric; POST → 405."""
    response = http_request(slack.server.address, "GET", "/metrics")
    assert 200 == response.status
    assert response.headers["content-type"].startswith("text/plain; version=")
    names = {f.name for f in text_string_to_metric_families(response.body.decode())}
    expected = {
        "stpm_bot_questions",
        "stpm_bot_retrieval_seconds",
        "stpm_bot_slack_api_calls",
        "stpm_bot_slack_api_errors",
        "stpm_bot_tips_posted",
        "stpm_bot_knowledge_reloads",
    }
    assert expected <= names
    assert 405 == http_request(slack.server.address, "POST", "/metrics").status


def test_mentions_move_the_question_latency_and_slack_call_counters(
    slack: RunningApp,
) -> None:
    """Three mentions: each outcome counted, three latencies, three posts."""
    before = scrape(slack)
    for i, question in enumerate(QUESTIONS):
        body = envelope(mention(question, channel=f"C0MET00{i}"))
        assert 200 == slack.send.event(body).status
    slack.drain()
    after = scrape(slack)
    outcomes = [
        slack.core.library.snapshot().retriever.ask(q).status for q in QUESTIONS
    ]
    for outcome in {"answered", "suggested", "no_match"}:
        expected = outcomes.count(outcome)  # type: ignore[arg-type]
        assert expected == moved(
            before, after, "stpm_bot_questions_total", outcome=outcome
        )
    assert 3 == moved(before, after, "stpm_bot_retrieval_seconds_count")
    calls = moved(
        before, after, "stpm_bot_slack_api_calls_total", method="chat.postMessage"
    )
    assert 3 == calls


def test_a_refused_slack_call_is_counted_as_an_error_by_method(
    slack: RunningApp,
) -> None:
    """Slack answers `channel_not_found` → one error for chat.postMessage."""
    before = scrape(slack)
    slack.fake.fail_next("chat.postMessage", error="channel_not_found")
    assert 200 == slack.send.event(envelope(mention("what does an stpm do?"))).status
    slack.drain()
    after = scrape(slack)
    labels = {"method": "chat.postMessage", "error": "channel_not_found"}
    assert 1 == moved(before, after, "stpm_bot_slack_api_errors_total", **labels)


def test_a_posted_tip_is_counted(slack: RunningApp) -> None:
    """The tip poster counts each tip Slack accepted."""
    before = scrape(slack)
    slack.store.subscribe("C0TIPS01", dt.time(9, 0))
    client = web_client(slack.core.settings, slack.core.metrics)
    policy = Policy.from_settings(slack.core.settings)
    poster = TipPoster(
        slack.core.library, slack.store, client, policy, slack.core.metrics
    )
    postings = poster.post_date(dt.date(2030, 1, 7))
    assert ["posted"] == [p.outcome for p in postings]
    assert 1 == moved(before, scrape(slack), "stpm_bot_tips_posted_total")


def test_log_lines_carry_the_request_id_team_and_channel(
    slack: RunningApp, json_logs: io.StringIO
) -> None:
    """Two mentions: each `faq.*` line has its own request id, team and channel."""
    for channel in ("C0LOG001", "C0LOG002"):
        assert 200 == slack.send.event(envelope(mention("cyber", channel))).status
    slack.drain()
    lines = [e for e in log_lines(json_logs) if e["event"].startswith("faq.")]
    assert ["C0LOG001", "C0LOG002"] == sorted(e["channel"] for e in lines)
    assert {TEAM_ID} == {e["team"] for e in lines}
    assert 2 == len({e["request_id"] for e in lines})
    assert all(len(e["request_id"]) == 16 for e in lines)


def test_a_refused_request_is_logged_with_its_request_id(
    slack: RunningApp, json_logs: io.StringIO
) -> None:
    """An unsigned request's `slack.invalid_signature` line has a request id."""
    body = json.dumps(envelope(mention("hi"))).encode()
    assert 401 == slack.send.post(body, "application/json", signed=False).status
    lines = [e for e in log_lines(json_logs) if e["event"] == "slack.invalid_signature"]
    assert 1 == len(lines)
    assert lines[0]["request_id"]


def test_response_url_posts_are_retried_counted_and_loud(slack: RunningApp) -> None:
    """A rate-limited /stpm answer is retried after Retry-After and arrives
    once; every response_url post is counted under one method label; one
    Slack refuses is logged (slack.error), not lost in silence."""
    from bot import logs
    from tests.support.harness import command

    stream = io.StringIO()
    logs.configure("INFO", "json", stream)
    try:
        before = scrape(slack)
        slack.fake.fail_next("response_url", status=429, retry_after=1)
        ask = command("/stpm", "how important is cloud", slack.fake.response_url())
        slack.send.command(ask)
        [answer] = slack.fake.wait_delivered("response_url", timeout=10)
        assert "feedback:skill-cloud" in json.dumps(answer.body["blocks"])
        slack.fake.fail_next("response_url", status=404, error="expired_url")
        slack.send.command(
            command("/stpm", "is cloud important", slack.fake.response_url())
        )
        slack.drain()
    finally:
        logs.configure()
    after = scrape(slack)
    calls = moved(
        before, after, "stpm_bot_slack_api_calls_total", method="response_url"
    )
    assert 4 == calls  # the 429, its retry, the 404, the apology for it
    for status in ("429", "404"):
        labels = {"method": "response_url", "error": status}
        assert 1 == moved(before, after, "stpm_bot_slack_api_errors_total", **labels)
    errors = [line for line in log_lines(stream) if line.get("event") == "slack.error"]
    assert 1 == len(errors) and "404" in json.dumps(errors[0])
