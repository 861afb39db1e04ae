"""The message shortcut "Ask STPM Bot": point the bot at a question someone
asked in a channel, see the answer privately, share it in that message's
thread if it helps."""

from __future__ import annotations

import json
from typing import Any

import structlog
from slack_bolt import App, BoltContext, Respond
from slack_sdk.models.blocks import ActionsBlock

from bot.answers.replies import entry_reply
from bot.slack import blocks
from bot.slack.actions import share_once
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen
from bot.slack.outbox import REPLAY
from bot.text.markup import question_from

ASK = "ask_stpm_bot"  # the shortcut's callback_id in the manifest
SHARE_IN_THREAD = "share_in_thread"
SHORTCUTS = (ASK,)

Body = dict[str, Any]


def _share_button(entry_id: str, question: str, thread_ts: str) -> ActionsBlock:
    value = json.dumps(
        {"e": entry_id, "q": question[: blocks.QUESTION_KEY_CHARS], "t": thread_ts},
        separators=(",", ":"),
    )
    return ActionsBlock(
        elements=[blocks.button("Share in thread", SHARE_IN_THREAD, value, "primary")]
    )


class Shortcuts(Listeners):
    def on_ask(self, body: Body, respond: Respond, context: BoltContext) -> None:
        """The answer to the message, privately to whoever used the shortcut."""
        bind(context, "shortcut")
        message = body.get("message") or {}
        question = question_from(str(message.get("text") or ""), context.bot_user_id)
        if not question:
            respond(
                response_type="ephemeral",
                text="That message has no words I can answer (only files or images?).",
            )
            return
        reply = self.deps.answer(question, (body.get("user") or {}).get("id"))
        thread = str(message.get("thread_ts") or message.get("ts") or "")
        # An entry opened from it is shared in that message's thread too.
        shown = blocks.for_reply(
            reply, ask_expert=self.deps.ask_expert, thread_ts=thread
        )
        extra: tuple[ActionsBlock, ...] = ()
        if reply.outcome == "answered":
            extra = (_share_button(reply.entry_id, question, thread),)
        respond(
            response_type="ephemeral",
            text=shown.text,
            blocks=[b.to_dict() for b in (*shown.blocks, *extra)],
        )

    def share_in_thread(
        self, body: Body, action: dict[str, Any], respond: Respond, context: BoltContext
    ) -> None:
        """Post the private answer in the asked message's thread, for everyone."""
        bind(context, "share_in_thread")
        try:
            value = json.loads(action.get("value") or "")
            entry = self.deps.knowledge.by_id.get(str(value["e"]))
            question, thread = str(value.get("q", "")), str(value.get("t", ""))
        except (ValueError, TypeError, KeyError):
            return
        if entry is None:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="Sorry, that entry is no longer available.",
            )
            return
        user = (body.get("user") or {}).get("id", "")
        reply = entry_reply(self.deps.knowledge, entry, question)
        message = blocks.answer(
            reply, shared=True, by=user, asked_with="the Ask STPM Bot shortcut"
        )

        def post() -> None:
            respond(
                response_type="in_channel",
                replace_original=False,
                thread_ts=thread or None,
                **message.as_kwargs(),
            )

        replay = context.get(REPLAY) is not None
        if share_once(self.deps.store, body, entry.id, post, respond, replay):
            respond(delete_original=True)
            structlog.get_logger().info(
                "slack.answer_shared", entry=entry.id, into="thread"
            )


def register(app: App, deps: Deps) -> None:
    shortcuts = Shortcuts(deps)
    listen(app.shortcut(ASK), shortcuts.on_ask, deps.executor, deps.gate)
    listen(
        app.action(SHARE_IN_THREAD), shortcuts.share_in_thread, deps.executor, deps.gate
    )
