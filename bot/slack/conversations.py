"""Questions in conversations: mentions, direct messages, thread follow-ups."""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.slack import blocks
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen
from bot.text.markup import is_greeting, question_from

EVENTS = ("app_mention", "message.im", "message.channels", "message.groups")
# Replies in a thread that are also sent to the channel are still questions.
_ANSWERABLE_SUBTYPES = {None, "thread_broadcast"}

Event = dict[str, Any]


def is_from_a_person(event: Event, bot_user_id: str | None) -> bool:
    """Not a bot, not the bot itself, not an edit, deletion or other subtype."""
    return (
        event.get("subtype") in _ANSWERABLE_SUBTYPES
        and not event.get("bot_id")
        and "edited" not in event
        and bool(event.get("user"))
        and event.get("user") != bot_user_id
    )


def claim_keys(body: dict[str, Any], event: Event) -> list[str]:
    """A retried event has the same id; the same message seen as both a mention
    and a channel message has the same channel and ts."""
    keys = [f"msg:{event.get('channel')}:{event.get('ts')}"]
    if body.get("event_id"):
        keys.insert(0, f"event:{body['event_id']}")
    return keys


class Conversations(Listeners):
    def on_mention(
        self,
        body: dict[str, Any],
        event: Event,
        context: BoltContext,
        client: WebClient,
    ) -> None:
        bind(context, "mention")
        if is_from_a_person(event, context.bot_user_id):
            self._answer(
                body, event, context, client, event.get("thread_ts") or event["ts"]
            )

    def on_message(
        self,
        body: dict[str, Any],
        event: Event,
        context: BoltContext,
        client: WebClient,
    ) -> None:
        bind(context, f"message.{event.get('channel_type')}")
        if not is_from_a_person(event, context.bot_user_id):
            return
        if event.get("channel_type") == "im":
            self._answer(body, event, context, client, event.get("thread_ts"))
            return
        thread_ts = event.get("thread_ts")
        mentioned = f"<@{context.bot_user_id}" in event.get("text", "")
        # A mention is answered by on_mention; other channel messages only
        # when they continue a thread the bot answered in.
        if (
            thread_ts
            and not mentioned
            and self.deps.store.answered_in(event["channel"], thread_ts)
        ):
            self._answer(body, event, context, client, thread_ts, follow_up=True)

    def _answer(
        self,
        body: dict[str, Any],
        event: Event,
        context: BoltContext,
        client: WebClient,
        thread_ts: str | None,
        follow_up: bool = False,
    ) -> None:
        question = question_from(event.get("text", ""), context.bot_user_id)
        greeting = is_greeting(question)
        asked = None if greeting else self.deps.retrieve(question)
        if follow_up and (asked is None or asked.result.best is None):
            # People talk among themselves in a thread ("thanks!", "see
            # above"): the bot speaks up only when it has an answer.
            return
        if not self.deps.store.claim(claim_keys(body, event)):
            structlog.get_logger().info(
                "slack.duplicate", event_id=body.get("event_id")
            )
            return
        if asked is None:
            message = blocks.intro()
        else:
            answerer = self.deps.answerer
            reply = answerer.reply(answerer.settle(asked, event.get("user")))
            message = blocks.for_reply(reply, ask_expert=self.deps.ask_expert)
        channel = event["channel"]
        client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, **message.as_kwargs()
        )
        if thread_ts:
            self.deps.store.remember_thread(channel, thread_ts)


def register(app: App, deps: Deps) -> None:
    conversations = Conversations(deps)
    listen(app.event("app_mention"), conversations.on_mention, deps.executor, deps.gate)
    # One listener for every message event: an unmatched event would get a 404
    # and Slack would retry it.
    listen(app.event("message"), conversations.on_message, deps.executor, deps.gate)
