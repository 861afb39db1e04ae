"""The App Home tab: what the bot knows, the skills table, today's tip."""

from __future__ import annotations

import time
from typing import Any

import structlog
from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answers.replies import topics
from bot.settings import parse_hhmm
from bot.slack import blocks
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen
from bot.slack.posting import post_reply, unclear
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
        publish_home(self.deps, client, event["user"])

    def _welcome(self, event: dict[str, Any], client: WebClient) -> None:
        """The first time someone opens the bot's Messages tab: how to ask,
        once per person (across restarts and replicas)."""
        user, channel = event.get("user"), event.get("channel")
        if not user or not channel:
            return
        key = f"{KEEP}welcome:{user}"
        if not self.deps.store.claim([key]):
            return
        try:
            # Once: looked for after a reset or a timeout.
            since = f"{time.time() - 60:.6f}"
            intro = blocks.intro().as_kwargs()
            post_reply(
                client, key, channel=channel, thread_ts=None, since=since, **intro
            )
        except (SlackApiError, OSError) as error:
            if not unclear(error):  # surely not welcomed: next time, then
                self.deps.store.release([key])
            raise


class MyTipButtons(Listeners):
    """App Home's own-daily-tip controls: on, off, and the time."""

    def change(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        bind(context, "my_tip")
        user = (body.get("user") or {}).get("id")
        if not user:
            return
        store, settings = self.deps.store, self.deps.settings
        action_id = action.get("action_id")
        if action_id == blocks.MY_TIP_OFF:
            store.unsubscribe(user)
        else:
            chosen = (action.get("selected_option") or {}).get("value")
            text = (
                chosen
                or _picked(body)  # the picker as the person left it
                or action.get("value")
                or settings.tips_time
            )
            try:
                at = parse_hhmm(str(text))
            except ValueError:
                at = parse_hhmm(settings.tips_time)
            sub = store.subscription(user)
            store.subscribe(user, at, source="home")
            if action_id == blocks.MY_TIP_TIME and not (sub is not None and sub.active):
                store.unsubscribe(user)  # keeps the chosen time for "on"
        structlog.get_logger().info("slack.my_tip", change=action_id)
        publish_home(self.deps, client, user)


def _picked(body: dict[str, Any]) -> str | None:
    """The time showing in the tab's picker when *Send me the daily tip* was
    clicked (Slack sends the view's state with the click): it wins over the
    button's, which is the tab's as last published (a refresh that failed,
    or a click before it came, would leave that behind)."""
    state = (body.get("view") or {}).get("state") or body.get("state") or {}
    values = state.get("values") or {}
    for block in values.values():
        if isinstance(block, dict):
            picker = block.get(blocks.MY_TIP_TIME)
            if isinstance(picker, dict):
                value = (picker.get("selected_option") or {}).get("value")
                if isinstance(value, str):
                    return value
    return None


def my_tip(deps: Deps, user: str) -> blocks.MyTip:
    """The person's own daily tip (a subscription keyed by their user id:
    the tip poster's chat.postMessage to a user id lands in the app's DM)."""
    settings = deps.settings
    sub = deps.store.subscription(user)
    on = sub is not None and sub.active
    time = sub.post_time.strftime("%H:%M") if sub else settings.tips_time
    return blocks.MyTip(
        on,
        time,
        settings.timezone,
        bool(settings.tips_check_interval),
        settings.tips_weekends,
    )


def publish_home(
    deps: Deps, client: WebClient, user: str, note: str = "", shown: str | None = None
) -> None:
    """Publish `user`'s Home tab, `note` first; `shown`: the hash of the tab
    as the person saw it, so that Slack refuses (hash_conflict) to replace a
    tab published since."""
    knowledge = deps.knowledge
    view = blocks.home(
        knowledge, topics(knowledge), deps.tip(), note, my_tip(deps, user)
    )
    client.views_publish(user_id=user, view=view, hash=shown or None)


def register(app: App, deps: Deps) -> None:
    listen(app.event("app_home_opened"), Home(deps).on_opened, deps.executor, deps.gate)
    buttons = MyTipButtons(deps)
    for action_id in (blocks.MY_TIP_ON, blocks.MY_TIP_OFF, blocks.MY_TIP_TIME):
        listen(app.action(action_id), buttons.change, deps.executor, deps.gate)
