"""What the bot counts, for `GET /metrics` in Prometheus' text format.

One `Metrics` per process, made by the composition root (`bot.compose`) and
handed to whoever counts: the question path (`bot.answers.asking`), the Slack
Web API client (`bot.slack.client`), the tip poster and the knowledge
reloader. Each has its own registry, so tests and the CLI never share counters.
"""

from __future__ import annotations

from typing import Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# How a question is counted: an empty one as no match (nothing was found for
# it); one that asks nothing ("thanks!", "ok") as small talk, no gap.
Counted = Literal["answered", "suggested", "no_match", "small_talk"]
COUNTED: tuple[Counted, ...] = ("answered", "suggested", "no_match", "small_talk")
# A bucket edge every doubling from 0.25 ms: a slower retriever shows here
# long before users notice it.
LATENCY_BUCKETS = (
    0.00025,
    0.0005,
    0.001,
    0.002,
    0.004,
    0.008,
    0.016,
    0.032,
    0.064,
    0.128,
    0.256,
    1.0,
)


class Metrics:
    """Counters and a histogram in a registry of their own."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "stpm_bot_questions",
            "Questions answered, by outcome (answered, suggested, no_match, "
            "small_talk).",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in COUNTED:
            self.questions.labels(outcome)  # every outcome shown, from zero
        self.retrieval_seconds = Histogram(
            "stpm_bot_retrieval_seconds",
            "Time to retrieve the answer to one question.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.slack_api_calls = Counter(
            "stpm_bot_slack_api_calls",
            "Slack Web API requests, by method (each retry counted).",
            ["method"],
            registry=self.registry,
        )
        self.slack_api_errors = Counter(
            "stpm_bot_slack_api_errors",
            "Slack Web API requests that failed, by method and error.",
            ["method", "error"],
            registry=self.registry,
        )
        self.tips_posted = Counter(
            "stpm_bot_tips_posted",
            "Tips posted to channels.",
            registry=self.registry,
        )
        self.knowledge_reloads = Counter(
            "stpm_bot_knowledge_reloads",
            "Knowledge reloads, by result (ok, failed: the old knowledge kept).",
            ["result"],
            registry=self.registry,
        )
        for result in ("ok", "failed"):
            self.knowledge_reloads.labels(result)
        self.outbox_in_flight = Gauge(
            "stpm_bot_outbox_in_flight",
            "Acknowledged Slack requests this process is still working on.",
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "stpm_bot_outbox_backlog",
            "Acknowledged Slack requests not yet handled, in every process.",
            registry=self.registry,
        )
        self.outbox_oldest_seconds = Gauge(
            "stpm_bot_outbox_oldest_seconds",
            "Age of the oldest acknowledged request not yet handled.",
            registry=self.registry,
        )
        self.outbox_events = Counter(
            "stpm_bot_outbox",
            "Outbox events: resumed (taken up after its process died), "
            "gave_up (failed too often), refused (Slack answered 503 to retry), "
            "taken_over (its lease ran out before its work began and another "
            "process took it up).",
            ["event"],
            registry=self.registry,
        )
        for event in ("resumed", "gave_up", "refused", "taken_over"):
            self.outbox_events.labels(event)

    def question(self, counted: Counted, seconds: float) -> None:
        self.questions.labels(counted).inc()
        self.retrieval_seconds.observe(seconds)

    def knowledge_reload(self, result: str) -> None:
        """`ok`, or `failed` (the old knowledge kept)."""
        self.knowledge_reloads.labels(result).inc()

    def slack_call(self, method: str, error: str | None = None) -> None:
        self.slack_api_calls.labels(method).inc()
        if error is not None:
            self.slack_api_errors.labels(method, error).inc()

    def exposition(self) -> bytes:
        """Everything counted, in Prometheus' text format."""
        return generate_latest(self.registry)
