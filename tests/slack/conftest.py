from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import update

from bot.compose import Core, assemble, build
from bot.search.library import Library
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.http import BODY_SECONDS, HEADER_SECONDS, HttpServer
from bot.slack.listeners import AckFirst
from bot.slack.outbox import Outbox, request_key
from bot.store.database import Store
from bot.store.engine import engine_for
from bot.store.schema import outbox
from tests.support.fake_slack import FakeSlack
from tests.support.harness import SIGNING_SECRET, SlackSender, envelope

HUMAN_CONTACT = "#stpm-guild"


def make_settings(fake: FakeSlack, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "_env_file": None,
        "data_dir": data_dir,
        "database_url": None,
        "human_contact": HUMAN_CONTACT,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": None,
        "SLACK_API_BASE_URL": fake.api_url,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(fake_slack: FakeSlack) -> None:
    fake_slack.reset()


@pytest.fixture(scope="session")
def slack_core(fake_slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Core:
    """Real knowledge and retriever with settings pointing at the fake Slack,
    built once for the whole suite; counts nothing (each app has its store)."""
    settings = make_settings(fake_slack, tmp_path_factory.mktemp("data"))
    return build(settings, counted=False)


@dataclass
class RunningApp:
    """The app's real HTTP server on 127.0.0.1, talking to the fake Slack."""

    fake: FakeSlack
    app: App
    core: Core
    store: Store
    server: HttpServer
    executor: ThreadPoolExecutor
    send: SlackSender

    def drain(self) -> None:
        """Wait until every listener Bolt started has finished."""
        self.executor.shutdown(wait=True)


@pytest.fixture
def start_app(
    fake_slack: FakeSlack, slack_core: Core, tmp_path: Path
) -> Iterator[Callable[..., RunningApp]]:
    started: list[RunningApp] = []

    def start(
        store: Store | None = None,
        deadlines: tuple[float, float] | None = None,
        library: Library | None = None,
        **settings: object,
    ) -> RunningApp:
        """The app; `settings` overrides (e.g. experts_channel) change a copy;
        `deadlines` are the HTTP server's (head, body) seconds; `library`:
        other knowledge than the shipped one."""
        if store is None:
            store = Store(engine_for(f"sqlite:///{tmp_path / 'bot.db'}"))
        store.create_schema()
        executor = ThreadPoolExecutor(8, thread_name_prefix="test-listener")
        gate = AckFirst()
        changed = slack_core.settings
        if settings:
            changed = make_settings(fake_slack, tmp_path, **settings)
        serving = assemble(changed, library or slack_core.library, store)
        app = build_app(serving, executor=executor, gate=gate)
        head, body = deadlines or (HEADER_SECONDS, BODY_SECONDS)
        server = HttpServer(
            app,
            SIGNING_SECRET,
            "127.0.0.1",
            0,
            gate,
            serving.metrics,
            head_seconds=head,
            body_seconds=body,
        )
        server.start()
        running = RunningApp(
            fake_slack,
            app,
            serving,
            store,
            server,
            executor,
            SlackSender(server.address),
        )
        started.append(running)
        return running

    yield start
    for running in started:
        running.server.stop()
        running.executor.shutdown(wait=True)
        running.store.close()


@pytest.fixture
def slack(start_app: Callable[..., RunningApp]) -> RunningApp:
    return start_app()


def left_by_a_dead_process(slack: RunningApp, request: dict[str, Any]) -> Outbox:
    """`request` (a message event, or a click's payload) in the outbox as a
    process that died while handling it left it, its lease run out; the
    outbox that takes it up."""
    is_event = request.get("type") == "message"
    raw = json.dumps(envelope(request, "EvDead") if is_event else request)
    slack.store.enqueue(request_key({}, raw), raw, {"x-stpm-bot-parsed": ["1"]}, "dead")
    long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    with slack.store.engine.begin() as conn:
        dead = update(outbox).where(outbox.c.owner == "dead")
        conn.execute(dead.values(lease_until=long_ago))
    return Outbox(slack.store, slack.core.metrics, 25.0, lease_seconds=30)
