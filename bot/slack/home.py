"""The App Home tab: what the bot knows, the skills table, today's tip."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.answers.replies import topics
from bot.slack import blocks
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen
from bot.store.claims import KEEP

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
        if event.get("tab", "home") == "messages":
            self._welcome(event, client)
            return
        knowledge = self.deps.knowledge
        view = blocks.home(knowledge, topics(knowledge), self.deps.tip())
        client.views_publish(user_id=event["user"], view=view)

    def _welcome(self, event: dict[str, Any], client: WebClient) -> None:
        """The first time someone opens the bot's Messages tab: how to ask,
        once per person (across restarts and replicas)."""
        user, channel = event.get("user"), event.get("channel")
        if not user or not channel:
            return
        if not self.deps.store.claim([f"{KEEP}welcome:{user}"]):
            return
        client.chat_postMessage(channel=channel, **blocks.intro().as_kwargs())


def register(app: App, deps: Deps) -> None:
    listen(app.event("app_home_opened"), Home(deps).on_opened, deps.executor, deps.gate)
