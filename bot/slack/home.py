"""The App Home tab: what the bot knows, the skills table, today's tip."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.answers.replies import topics
from bot.slack import blocks
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen

EVENTS = ("app_home_opened",)


class Home(Listeners):
    def on_opened(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        bind(context, "home")
        if event.get("tab", "home") != "home":
            return  # the Messages tab needs nothing published
        knowledge = self.deps.knowledge
        view = blocks.home(knowledge, topics(knowledge), self.deps.tip())
        client.views_publish(user_id=event["user"], view=view)


def register(app: App, deps: Deps) -> None:
    listen(app.event("app_home_opened"), Home(deps).on_opened, deps.executor, deps.gate)
