"""The Slack entry point: builds the Bolt app from the core and serves it in
Socket Mode or over HTTP.

Everything under `bot.slack` turns Slack payloads into questions and `Reply`s
into Block Kit; the answers themselves come from the core's `Answerer`.
"""

from __future__ import annotations

import datetime as dt
import gc
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from types import FrameType
from typing import Protocol

import structlog
from slack_bolt import App, BoltContext
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.answers.schedule import Policy
from bot.compose import Core
from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack import (
    actions,
    assistant,
    conversations,
    errors,
    experts,
    home,
    shortcuts,
    slash_commands,
    teaching,
    tip_poster,
)
from bot.slack.client import ours, web_client
from bot.slack.deps import Deps
from bot.slack.http import HttpServer
from bot.slack.listeners import AckFirst
from bot.slack.outbox import OUTBOX, Outbox
from bot.slack.payloads import WellFormed
from bot.slack.respond import PolicyRespond
from bot.store.database import Store

__all__ = ["build_app", "frontend", "serve"]

FEATURES = (
    conversations,
    assistant,
    slash_commands,
    actions,
    shortcuts,
    experts,
    teaching,
    home,
    errors,
)
LISTENER_THREADS = 16


class Frontend(Protocol):
    mode: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


class SocketMode:
    """Socket Mode: Slack connects out over a WebSocket, no public URL needed."""

    mode = "socket"

    def __init__(self, app: App, app_token: str) -> None:
        self.handler = SocketModeHandler(app, app_token)

    def start(self) -> None:
        self.handler.connect()  # type: ignore[no-untyped-call]

    def stop(self) -> None:
        self.handler.close()  # type: ignore[no-untyped-call]


def build_app(
    core: Core,
    *,
    client: WebClient | None = None,
    executor: Executor | None = None,
    gate: AckFirst | None = None,
    outbox: Outbox | None = None,
) -> App:
    """The Bolt app with every feature registered; calls `auth.test` once.
    Every request is recorded in the store's outbox before it is acked
    (`outbox`, or one made here)."""
    settings = core.settings
    secret = settings.slack_signing_secret
    if executor is None:
        executor = ThreadPoolExecutor(LISTENER_THREADS, "slack-listener")
    app = App(
        client=client or web_client(settings, core.metrics),
        signing_secret=secret.get_secret_value() if secret else "",
        request_verification_enabled=secret is not None,
        # Listeners ack on the request's thread and hand their work to
        # `executor` (bot.slack.listeners), so a busy pool never delays an ack.
        process_before_response=True,
        listener_executor=executor,
    )
    deps = Deps(
        settings,
        core.answerer,
        core.library,
        core.store,
        core.clock,
        executor,
        gate or AckFirst(),
    )
    metrics = core.metrics
    if outbox is None:
        outbox = Outbox(
            core.store,
            metrics,
            settings.shutdown_grace_seconds,
            settings.outbox_lease_seconds,
        )

    app.use(WellFormed())

    @app.middleware
    def _respond_by_policy(context: BoltContext, next: Callable[[], None]) -> None:
        # A request resumed from the outbox comes with the outbox resuming it.
        context.setdefault(OUTBOX, outbox)
        # Bolt's client for this request, with an answer cut short raised as
        # the failure after sending it is (`bot.slack.client.Client`).
        context["client"] = ours(context.client)
        # Every listener's `respond`: retried, counted, loud on failure.
        if context.response_url:
            context["respond"] = PolicyRespond(
                response_url=context.response_url, metrics=metrics
            )
        next()

    for feature in FEATURES:
        feature.register(app, deps)
    return app


def frontend(
    settings: Settings,
    app: App,
    gate: AckFirst | None = None,
    metrics: Metrics | None = None,
) -> Frontend:
    """Socket Mode when `SLACK_APP_TOKEN` is set, otherwise HTTP on host:port."""
    if settings.slack_app_token:
        return SocketMode(app, settings.slack_app_token.get_secret_value())
    if not settings.slack_signing_secret:
        raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET")
    secret = settings.slack_signing_secret.get_secret_value()
    return HttpServer(app, secret, settings.host, settings.port, gate, metrics)


PRUNE_EVERY = 3600.0  # seconds between prunes of old event claims


def prune_regularly(
    store: Store,
    stop: threading.Event,
    every: float = PRUNE_EVERY,
    retention: dt.timedelta = dt.timedelta(days=90),
) -> None:
    """Now and every `every` seconds until `stop`: forget event claims Slack
    can no longer retry, and what people typed, the side panel's threads and
    conversations quiet for longer than `retention`."""
    while True:
        try:
            pruned = store.prune_events()
            forgotten = store.forget_older_than(retention)
            threads = store.forget_assistant_threads(retention)
            quiet = store.forget_conversations(retention)
        except SQLAlchemyError as error:  # next time, then
            structlog.get_logger().warning("store.prune_failed", error=str(error)[:200])
        else:
            structlog.get_logger().info(
                "store.pruned",
                claims=pruned,
                texts=forgotten,
                threads=threads,
                conversations=quiet,
            )
        if stop.wait(every):
            return


def serve(core: Core) -> None:
    """Run the Slack app until SIGTERM or SIGINT, then finish what's in flight."""
    settings = core.settings
    missing = settings.missing_slack_settings()
    if missing:
        raise ValueError(f"missing Slack settings: {', '.join(missing)}")
    log = structlog.get_logger()
    store = core.store
    store.create_schema()
    executor = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="slack-listener")
    gate = AckFirst()
    outbox = Outbox(
        store,
        core.metrics,
        settings.shutdown_grace_seconds,
        settings.outbox_lease_seconds,
    )
    app = build_app(core, executor=executor, gate=gate, outbox=outbox)
    front = frontend(settings, app, gate, core.metrics)
    # The knowledge, retriever and app live as long as the process: keep them
    # out of the cyclic GC: a full pass over that many objects stalls every
    # request in flight.
    gc.freeze()
    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("slack.stopping", signal=signal.Signals(signum).name)
        stop.set()

    previous = {
        s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)
    }
    scheduler: tip_poster.Scheduler | None = None
    resumer: threading.Thread | None = None
    keeper: threading.Thread | None = None
    drained = threading.Event()  # every acknowledged reply finished: leases may lapse
    try:
        front.start()
        log.info(
            "slack.started", mode=front.mode, host=settings.host, port=settings.port
        )
        tip_client = web_client(settings, core.metrics, tips=True)
        policy = Policy.from_settings(settings)
        poster = tip_poster.TipPoster(
            core.library, store, tip_client, policy, core.metrics
        )
        scheduler = tip_poster.start_scheduler(settings, poster, core.clock)
        keeper = threading.Thread(
            target=outbox.keep_leases, args=(drained,), name="outbox-leases"
        )
        keeper.start()
        resumer = threading.Thread(
            target=outbox.resume_regularly, args=(app, stop), name="outbox"
        )
        resumer.start()
        retention = dt.timedelta(days=settings.question_retention_days)
        prune_regularly(store, stop, retention=retention)
    finally:
        stop.set()
        if resumer is not None:
            resumer.join()  # a request being resumed is finished first
        if scheduler is not None:
            scheduler.stop()  # a tip being posted is finished first
        front.stop()  # no new requests; those in flight are answered
        executor.shutdown(wait=True)  # replies already started are posted
        drained.set()
        if keeper is not None:
            keeper.join()  # leases were renewed while replies were finished
        store.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        log.info("slack.stopped")
