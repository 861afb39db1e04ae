"""Button clicks: show a related entry, record feedback, share an answer."""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient

from bot.answers.replies import entry_reply
from bot.slack import blocks
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen

ACTIONS = (blocks.SHOW_ENTRY_ACTION, blocks.FEEDBACK_ACTION, blocks.SHARE)
THANKS = {
    1: "Thanks for the feedback! Glad it helped.",
    -1: "Thanks for the feedback! We'll use it to improve this answer.",
}

Body = dict[str, Any]


def _private(body: Body) -> bool:
    """Clicked in a message only the clicker sees (a /stpm answer)."""
    return bool(body.get("container", {}).get("is_ephemeral"))


def _thread_of(body: Body) -> tuple[str, str | None] | None:
    """Where a public click belongs: its channel and thread (None: no thread)."""
    channel = (body.get("channel") or {}).get("id")
    message = body.get("message") or {}
    if not channel:
        return None
    thread_ts = message.get("thread_ts")
    if thread_ts is None and not channel.startswith("D"):
        thread_ts = message.get("ts")
    return channel, thread_ts


class Actions(Listeners):
    def show_entry(
        self,
        body: Body,
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        bind(context, "show_entry")
        entry = self.deps.knowledge.by_id.get(action.get("value", ""))
        if entry is None:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="Sorry, that entry is no longer available.",
            )
            return
        structlog.get_logger().info("slack.entry_shown", entry=entry.id)
        message = blocks.answer(entry_reply(self.deps.knowledge, entry))
        where = None if _private(body) else _thread_of(body)
        if where is None and body.get("container", {}).get("type") == "view":
            where = (body["user"]["id"], None)  # App Home: into the app's DMs
        if where is None:
            respond(
                response_type="ephemeral", replace_original=False, **message.as_kwargs()
            )
            return
        channel, thread_ts = where
        client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, **message.as_kwargs()
        )
        if thread_ts:
            self.deps.store.remember_thread(channel, thread_ts)
            # The clicker's "tell me more" in this thread goes on from here.
            self.deps.store.remember_topic(
                channel, thread_ts, entry.id, body["user"]["id"], [entry.id]
            )

    def feedback(
        self,
        body: Body,
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        bind(context, "feedback")
        value = blocks.VoteValue.decode(action.get("value", ""))
        if value is None:
            return
        vote = 1 if action.get("action_id") == blocks.VOTE_UP else -1
        # A 👎 is a knowledge gap: keep what the question matches best now.
        candidates = self.deps.candidates(value.question) if vote < 0 else ()
        self.deps.store.record_vote(
            value.question, value.entry_id, vote, body["user"]["id"], candidates
        )
        structlog.get_logger().info(
            "feedback.recorded", entry=value.entry_id, vote=vote
        )
        where = None if _private(body) else _thread_of(body)
        thanks = self._thanks(vote, value, body, where)
        if where is None:
            respond(response_type="ephemeral", replace_original=False, **thanks)
            return
        channel, thread_ts = where
        client.chat_postEphemeral(
            channel=channel, user=body["user"]["id"], thread_ts=thread_ts, **thanks
        )

    def _thanks(
        self,
        vote: int,
        value: blocks.VoteValue,
        body: Body,
        where: tuple[str, str | None] | None,
    ) -> dict[str, Any]:
        """Thanks; after a 👎, with "Ask an expert" if there are experts."""
        if vote > 0 or not self.deps.ask_expert:
            return {"text": THANKS[vote]}
        channel, thread_ts = where or ((body.get("channel") or {}).get("id"), None)
        expert = blocks.ExpertValue(
            value.question, channel or "", thread_ts or "", value.entry_id
        )
        return blocks.with_ask_expert(THANKS[vote], expert).as_kwargs()

    def share(
        self,
        body: Body,
        action: dict[str, Any],
        respond: Respond,
        context: BoltContext,
    ) -> None:
        bind(context, "share")
        value = blocks.VoteValue.decode(action.get("value", ""))
        entry = self.deps.knowledge.by_id.get(value.entry_id) if value else None
        if value is None or entry is None:
            return
        reply = entry_reply(self.deps.knowledge, entry, value.question)
        message = blocks.answer(reply, shared=True)
        respond(
            response_type="in_channel", replace_original=False, **message.as_kwargs()
        )
        respond(delete_original=True)
        structlog.get_logger().info("slack.answer_shared", entry=entry.id)


def register(app: App, deps: Deps) -> None:
    actions = Actions(deps)
    listen(
        app.action(blocks.SHOW_ENTRY_ACTION),
        actions.show_entry,
        deps.executor,
        deps.gate,
    )
    listen(
        app.action(blocks.FEEDBACK_ACTION), actions.feedback, deps.executor, deps.gate
    )
    listen(app.action(blocks.SHARE), actions.share, deps.executor, deps.gate)
