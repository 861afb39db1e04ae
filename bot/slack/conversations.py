"""Questions in conversations: mentions, direct messages, thread follow-ups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import structlog
from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.answers.followup import (
    looks_like_question,
    more_about,
    nothing_more,
    nothing_yet,
    wants_more,
)
from bot.answers.replies import Reply
from bot.knowledge.models import Knowledge
from bot.slack import blocks, experts
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen
from bot.slack.outbox import REPLAY
from bot.slack.posting import post_reply
from bot.store.records import Topic
from bot.text.markup import is_greeting, question_from

EVENTS = ("app_mention", "message.im", "message.channels", "message.groups")
# "tell me more"s sent together: how often one tries for the next entry
# when another took it first.
ADVANCE_TRIES = 3
# Replies in a thread that are also sent to the channel are still questions.
# A message with a file attached is answered for its text (files aren't read).
_ANSWERABLE_SUBTYPES = {None, "thread_broadcast", "file_share"}
# A message that mentions a person, a user group or the channel is said to them.
_ADDRESSED = re.compile(r"<@[UW][A-Z0-9]+|<!(?:here|channel|everyone|subteam\^)")
FILES_NOTE = (
    "I can't read attached files yet. Type your question as a message and "
    "I'll answer it."
)

Event = dict[str, Any]


@dataclass(frozen=True)
class Said:
    """The bot posted in the conversation: `reply` when it was an answer to a
    question (None: the introduction, or "tell me more")."""

    reply: Reply | None = None


def well_formed(event: Event) -> bool:
    """The fields a reply needs, of the types Slack sends: a signed event
    with a number for `text` or no `ts` is logged and dropped, not a crash."""
    return (
        isinstance(event.get("text", ""), str)
        and isinstance(event.get("channel"), str)
        and isinstance(event.get("ts"), str)
        and isinstance(event.get("user", ""), str)
        and isinstance(event.get("thread_ts", ""), str)
    )


def is_from_a_person(event: Event, bot_user_id: str | None) -> bool:
    """Not a bot, not the bot itself, not an edit, deletion or other subtype."""
    if not well_formed(event):
        structlog.get_logger().warning(
            "slack.event_malformed", keys=sorted(event)[:20], type=event.get("type")
        )
        return False
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
    # Slack's own feedback buttons under answers instead of the vote buttons
    # (only where Slack shows them: the AI-app side panel).
    native_feedback = False

    def on_mention(
        self,
        body: dict[str, Any],
        event: Event,
        context: BoltContext,
        client: WebClient,
    ) -> None:
        bind(context, "mention")
        if self._experts_thread(event):
            return  # a reply to a question there: `on_message` relays it
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
        experts_channel = self.deps.settings.experts_channel
        if experts_channel and event["channel"] == experts_channel:
            # The experts talk among themselves; a reply under a question
            # goes to its asker.
            if event.get("thread_ts") and event["thread_ts"] != event["ts"]:
                replay = context.get(REPLAY) is not None
                experts.Experts(self.deps).on_reply(
                    event, client, replay, context.bot_user_id
                )
            return
        if event.get("channel_type") == "im":
            if event.get("files") and not question_from(event.get("text", "")):
                self._note_files(body, event, context, client)
                return
            self._answer(body, event, context, client, event.get("thread_ts"))
            return
        thread_ts = event.get("thread_ts")
        mentioned = f"<@{context.bot_user_id}" in event.get("text", "")
        # A mention is answered by on_mention; other channel messages only
        # when the person the bot answered in that thread asks again: people's
        # remarks to each other are theirs.
        if thread_ts and not mentioned and self._asks_again(event, thread_ts):
            # `_asks_again` leaves out a message addressed to someone else.
            self._answer(body, event, context, client, thread_ts, follow_up=True)
        elif not thread_ts and not mentioned and self._help_channel(event):
            self._autoanswer(body, event, context, client)

    def _experts_thread(self, event: Event) -> bool:
        """A reply under a question passed to the experts: the experts talking
        about it (relayed by `on_message`), never a question for the bot."""
        experts_channel = self.deps.settings.experts_channel
        thread_ts = event.get("thread_ts")
        if not (
            experts_channel
            and event.get("channel") == experts_channel
            and thread_ts
            and thread_ts != event.get("ts")
        ):
            return False
        asked = self.deps.store.expert_question_at(experts_channel, str(thread_ts))
        return asked is not None

    def _help_channel(self, event: Event) -> bool:
        """A top-level question, mentioning nobody, in a help channel."""
        text = event.get("text", "")
        if "<@" in text or "<!" in text or not looks_like_question(text):
            return False
        try:
            return self.deps.store.autoanswer(event["channel"])
        except SQLAlchemyError:
            return False  # unknown: stay quiet rather than guess

    def _autoanswer(
        self,
        body: dict[str, Any],
        event: Event,
        context: BoltContext,
        client: WebClient,
    ) -> None:
        """Answer in the message's thread, only when confident."""
        question = question_from(event.get("text", ""), None)
        asked = self.deps.retrieve(question)
        if asked.result.best is None or asked.in_parts:
            return  # not sure, or several things at once: a person can help
        if not self._claim(body, event, context):
            return
        answerer = self.deps.answerer
        reply = answerer.reply(answerer.settle(asked, event.get("user")))
        message = blocks.answer(reply, auto=True)
        ts = event["ts"]
        self._post(body, event, context, client, ts, message)
        shown = [reply.entry_id, *(p.entry_id for p in reply.also)]
        self._remember(event, ts, reply.entry_id, shown)

    def _note_files(
        self,
        body: dict[str, Any],
        event: Event,
        context: BoltContext,
        client: WebClient,
    ) -> None:
        """A DM that is only a file: say so, once, instead of staying silent."""
        if self._claim(body, event, context):
            message = blocks.notice(FILES_NOTE)
            self._post(body, event, context, client, event.get("thread_ts"), message)

    def _claim(self, body: dict[str, Any], event: Event, context: BoltContext) -> bool:
        """Whether this process answers the event. A request resumed from the
        outbox goes on even if its first process claimed it: `_post` looks
        for that process's reply before posting."""
        claimed = self.deps.store.claim(claim_keys(body, event))
        return claimed or context.get(REPLAY) is not None

    def _post(
        self,
        body: dict[str, Any],
        event: Event,
        context: BoltContext,
        client: WebClient,
        thread_ts: str | None,
        message: blocks.Message,
    ) -> None:
        """The reply, posted once (bot.slack.posting)."""
        post_reply(
            client,
            claim_keys(body, event)[0],
            channel=event["channel"],
            thread_ts=thread_ts,
            since=event.get("ts"),
            look_first=context.get(REPLAY) is not None,
            fenced=True,
            **message.as_kwargs(),
        )

    def _where(self, event: Event, thread_ts: str | None) -> str | None:
        """Which conversation a topic belongs to: a DM is one conversation
        (""), a channel's thread another; None: not a conversation."""
        return "" if event.get("channel_type") == "im" else thread_ts

    def _topic(self, event: Event, thread_ts: str | None) -> Topic | None:
        """What this conversation is about (a DM: the whole DM); None if the
        bot hasn't answered in it, or the store can't say."""
        where = self._where(event, thread_ts)
        if where is None:
            return None
        try:
            return self.deps.store.topic_of(event["channel"], where)
        except SQLAlchemyError as error:
            structlog.get_logger().warning(
                "slack.topic_unknown", error=str(error)[:200]
            )
            return None

    def _asks_again(self, event: Event, thread_ts: str) -> bool:
        """The person the bot answered in this thread asks again, to nobody
        else (a message mentioning someone is said to them)."""
        if _ADDRESSED.search(event.get("text", "")):
            return False
        topic = self._topic(event, thread_ts)
        if topic is None or not self.deps.store.asked_by(topic, event["user"]):
            return False
        text = question_from(event.get("text", ""), None)
        return wants_more(text) or looks_like_question(text)

    def _answer(
        self,
        body: dict[str, Any],
        event: Event,
        context: BoltContext,
        client: WebClient,
        thread_ts: str | None,
        follow_up: bool = False,
    ) -> Said | None:
        """Answer the message; what was posted, None if nothing was."""
        question = question_from(event.get("text", ""), context.bot_user_id)
        if wants_more(question):
            topic = self._topic(event, thread_ts)
            if topic is not None and topic.entry_id:
                return self._go_on(body, event, context, client, thread_ts, topic)
            if follow_up:  # no topic of the bot's: someone else's thread talk
                return None
            if not self._claim(body, event, context):
                return None
            said = nothing_yet(suggested=topic is not None)
            self._post(body, event, context, client, thread_ts, blocks.notice(said))
            return Said()
        greeting = is_greeting(question)
        asked = None if greeting else self.deps.retrieve(question)
        if follow_up and (asked is None or asked.result.best is None):
            # People talk among themselves in a thread ("thanks!", "see
            # above"): the bot speaks up only when it has an answer.
            return None
        if not self._claim(body, event, context):
            structlog.get_logger().info(
                "slack.duplicate", event_id=body.get("event_id")
            )
            return None
        reply = None
        if asked is None:
            message = blocks.intro()
        else:
            answerer = self.deps.answerer
            reply = answerer.reply(answerer.settle(asked, event.get("user")))
            message = blocks.for_reply(
                reply,
                ask_expert=self.deps.ask_expert,
                follow_up=follow_up,
                native_feedback=self.native_feedback,
            )
        self._post(body, event, context, client, thread_ts, message)
        if reply is not None and reply.outcome == "answered":
            shown = [reply.entry_id, *(p.entry_id for p in reply.also)]
            self._remember(event, thread_ts, reply.entry_id, shown)
        elif (
            reply is not None
            and not follow_up
            and not reply.closing
            and reply.outcome != "empty"  # an emoji alone says nothing of it
        ):
            # "did you mean" or "I don't know": no topic now (in a DM too: a
            # "tell me more" has nothing to go on with), but in a thread the
            # asker may rephrase without mentioning the bot again. ("thanks"
            # leaves the topic as it was.)
            self._remember(event, thread_ts, "", [])
        return Said(reply)

    def _remember(
        self, event: Event, thread_ts: str | None, entry_id: str, shown: list[str]
    ) -> None:
        where = self._where(event, thread_ts)
        if where is None:
            return
        try:
            self.deps.store.remember_topic(
                event["channel"], where, entry_id, event["user"], shown
            )
        except SQLAlchemyError as error:  # the answer is out; only "more" is lost
            structlog.get_logger().warning("slack.topic_lost", error=str(error)[:200])

    def _go_on(
        self,
        body: dict[str, Any],
        event: Event,
        context: BoltContext,
        client: WebClient,
        thread_ts: str | None,
        topic: Topic,
    ) -> Said | None:
        """ "tell me more": the next entry about the conversation's topic."""
        if not self._claim(body, event, context):
            return None
        knowledge = self.deps.library.snapshot().knowledge
        reply = self._next(event, thread_ts, topic, knowledge)
        if reply is None:
            message = blocks.notice(nothing_more(knowledge, topic.entry_id))
        else:
            message = blocks.answer(reply, native_feedback=self.native_feedback)
        self._post(body, event, context, client, thread_ts, message)
        structlog.get_logger().info(
            "slack.more", entry=topic.entry_id, shown=reply.entry_id if reply else None
        )
        if reply is not None:
            latest = self._topic(event, thread_ts) or topic
            shown = [*latest.shown, reply.entry_id]
            self._remember(event, thread_ts, topic.entry_id, shown)
        return Said()

    def _next(
        self, event: Event, thread_ts: str | None, topic: Topic, knowledge: Knowledge
    ) -> Reply | None:
        """The next entry about `topic`, taken for this "tell me more" before
        it is posted: if another one took the entry meanwhile, the one after
        it (a few tries; then the last one read)."""
        where = self._where(event, thread_ts)
        reply = more_about(knowledge, topic.entry_id, topic.shown)
        for _ in range(ADVANCE_TRIES):
            if reply is None or where is None:
                return reply
            shown = [*topic.shown, reply.entry_id]
            try:
                if self.deps.store.advance_topic(event["channel"], where, topic, shown):
                    return reply
            except SQLAlchemyError as error:  # shown, at worst, twice
                structlog.get_logger().warning(
                    "slack.topic_lost", error=str(error)[:200]
                )
                return reply
            moved = self._topic(event, thread_ts)
            if moved is None or moved.entry_id != topic.entry_id:
                return reply
            topic = moved
            reply = more_about(knowledge, topic.entry_id, topic.shown)
        return reply


def register(app: App, deps: Deps) -> None:
    conversations = Conversations(deps)
    listen(app.event("app_mention"), conversations.on_mention, deps.executor, deps.gate)
    # One listener for every message event: an unmatched event would get a 404
    # and Slack would retry it.
    listen(app.event("message"), conversations.on_message, deps.executor, deps.gate)
