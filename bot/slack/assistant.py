"""Slack's AI-app side panel ("Agents & AI Apps"): the same answers, in threads.

Bolt's `Assistant` routes the panel's events. When someone opens a thread
(`assistant_thread_started`) the thread is remembered and gets suggested
prompts: the most asked entries and today's tip. A message in a remembered
thread is answered by the DM's own code (`Conversations`), with a status
while it works, Slack's native feedback buttons, the thread titled by its
first answer, and follow-ups ("tell me more") about that thread's topic.
Messages in other DM threads, and every DM in a workspace without the
panel, go to the DM listener as before: the two never both answer.

The status, title and prompts are niceties: when Slack refuses them (a
workspace without the feature, a rate limit) the failure is logged and the
answer goes out all the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import structlog
from slack_bolt import App, Assistant, BoltContext, BoltResponse
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import (
    AssistantThreadContextStore,
)
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.answers.prompts import Prompt, asks_for_tip, suggested
from bot.slack import blocks
from bot.slack.client import quick_client
from bot.slack.conversations import (
    Conversations,
    Event,
    Said,
    is_from_a_person,
)
from bot.slack.deps import Deps, bind
from bot.slack.listeners import listen
from bot.slack.outbox import REPLAY
from bot.store.database import Store
from bot.text.markup import question_from, shorten

EVENTS = ("assistant_thread_started", "assistant_thread_context_changed")
STATUS = "is looking that up…"
PROMPTS_TITLE = "Popular questions"
POPULAR_DAYS = 30  # what people asked lately, not in the bot's first week
TITLE_CHARS = 100
# The status and the suggested prompts are the panel's dressing: one try,
# this many seconds at most, so a slow or rate-limited Slack never holds
# the answer (or a worker) back.
STATUS_SECONDS = 2
PROMPTS_SECONDS = 5

Body = dict[str, Any]


class StoreContexts(AssistantThreadContextStore):
    """Bolt's thread context kept in the store (Bolt's default reads the
    thread's first message back from Slack on every call)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        self.store.save_assistant_context(channel_id, thread_ts, context)

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        found = self.store.assistant_context(channel_id, thread_ts)
        return AssistantThreadContext(found) if found else None


def _thread(event: Event) -> tuple[str, str, str, dict[str, Any]] | None:
    """The panel thread an assistant event is about: channel, thread, user,
    context; None when Slack's shape is not there (logged)."""
    thread = event.get("assistant_thread")
    if isinstance(thread, dict):
        channel, ts = thread.get("channel_id"), thread.get("thread_ts")
        user, context = thread.get("user_id") or "", thread.get("context") or {}
        ids = (channel, ts, user)
        shaped = all(isinstance(i, str) for i in ids) and isinstance(context, dict)
        if shaped and channel and ts:
            return channel, ts, user, context
    structlog.get_logger().warning(
        "assistant.event_malformed", type=event.get("type"), keys=sorted(event)[:20]
    )
    return None


def _quietly(what: str, call: Callable[[], object]) -> bool:
    """A panel nicety: done, or logged and skipped (never costs the answer)."""
    try:
        call()
    except SlackApiError as error:
        reason = str(error.response.get("error") or error.response.status_code)
    except (SlackClientError, OSError) as error:  # no answer from Slack
        reason = type(error).__name__
    else:
        return True
    structlog.get_logger().warning(f"assistant.{what}_failed", error=reason[:200])
    return False


class Panel(Conversations):
    """The side panel's listeners: DMs' answering, each thread its own topic."""

    native_feedback = True

    def _where(self, event: Event, thread_ts: str | None) -> str | None:
        return thread_ts  # each panel thread is a conversation of its own

    def in_panel(self, body: Body) -> bool:
        """A person's message in a thread opened from the panel (Bolt's own
        test takes every DM thread for one)."""
        event = body.get("event") or {}
        channel, thread_ts = event.get("channel"), event.get("thread_ts")
        if not isinstance(channel, str) or not isinstance(thread_ts, str):
            return False
        try:
            return self.deps.store.is_assistant_thread(channel, thread_ts)
        except SQLAlchemyError as error:  # answered as a DM thread then
            structlog.get_logger().warning(
                "assistant.thread_unknown", error=str(error)[:200]
            )
            return False

    def thread_started(
        self, body: Body, event: Event, context: BoltContext, client: WebClient
    ) -> None:
        bind(context, "assistant")
        thread = _thread(event)
        if thread is None:
            return
        channel, thread_ts, user, where = thread
        try:
            self.deps.store.start_assistant_thread(channel, thread_ts, user, where)
        except SQLAlchemyError as error:  # its messages are answered as DMs
            structlog.get_logger().warning(
                "assistant.thread_lost", error=str(error)[:200]
            )
        prompts = [{"title": p.title, "message": p.message} for p in self._prompts()]
        structlog.get_logger().info("assistant.started", prompts=len(prompts))
        quick = quick_client(client, PROMPTS_SECONDS)
        _quietly(
            "prompts",
            lambda: quick.assistant_threads_setSuggestedPrompts(
                channel_id=channel,
                thread_ts=thread_ts,
                title=PROMPTS_TITLE,
                prompts=prompts,
            ),
        )

    def _prompts(self) -> tuple[Prompt, ...]:
        knowledge = self.deps.knowledge
        since = self.deps.clock.now() - dt.timedelta(days=POPULAR_DAYS)
        try:
            popular = self.deps.store.popular_entries(8, since)
        except SQLAlchemyError:
            popular = []  # the knowledge's own openings, then
        return suggested(knowledge, popular, self.deps.tip())

    def context_changed(self, event: Event, context: BoltContext) -> None:
        """The person moved to another channel with the panel open: keep it."""
        bind(context, "assistant")
        thread = _thread(event)
        if thread is None:
            return
        channel, thread_ts, user, where = thread
        try:
            if not self.deps.store.save_assistant_context(channel, thread_ts, where):
                # Started before this app knew the panel: it is a panel thread.
                self.deps.store.start_assistant_thread(channel, thread_ts, user, where)
        except SQLAlchemyError as error:
            structlog.get_logger().warning(
                "assistant.context_lost", error=str(error)[:200]
            )

    def user_message(
        self, body: Body, event: Event, context: BoltContext, client: WebClient
    ) -> None:
        bind(context, "assistant")
        if not is_from_a_person(event, context.bot_user_id):
            return
        channel, thread_ts = event["channel"], event["thread_ts"]
        text = question_from(event.get("text", ""), context.bot_user_id)
        if event.get("files") and not text:
            self._note_files(body, event, context, client)
            self._used(channel, thread_ts)
            return
        status = functools.partial(
            quick_client(client, STATUS_SECONDS).assistant_threads_setStatus,
            channel_id=channel,
            thread_ts=thread_ts,
        )
        shown = _quietly("status", lambda: status(status=STATUS))
        said = None
        try:
            if asks_for_tip(text):
                said = self._tip(body, event, context, client)
            else:
                said = self._answer(body, event, context, client, thread_ts)
        finally:
            # Nothing posted, or (taken up again after a crash) perhaps the
            # answer found already there, which Slack's own clearing came
            # before: don't leave it spinning.
            replayed = context.get(REPLAY) is not None
            if (said is None or replayed) and shown:
                _quietly("status", lambda: status(status=""))
        if said is not None:
            self._used(channel, thread_ts)
        reply = said.reply if said else None
        if reply is not None and reply.outcome == "answered":
            self._title(client, channel, thread_ts, reply.title)

    def _used(self, channel: str, thread_ts: str) -> None:
        """The bot spoke in the thread: it is kept, counted from now."""
        try:
            self.deps.store.use_assistant_thread(channel, thread_ts)
        except SQLAlchemyError as error:  # pruned a little early, at worst
            structlog.get_logger().warning("assistant.use_lost", error=str(error)[:200])

    def _tip(
        self, body: Body, event: Event, context: BoltContext, client: WebClient
    ) -> Said | None:
        """The tip of the day (the panel's suggested prompt), as the daily tips
        have it; no tips in the knowledge: say so."""
        if not self._claim(body, event, context):
            return None
        tip = self.deps.tip()
        if tip is None:
            message = blocks.notice("There are no tips in the knowledge yet.")
        else:
            message = blocks.daily_tip(tip, self.deps.knowledge, footer=False)
        self._post(body, event, context, client, event["thread_ts"], message)
        structlog.get_logger().info("assistant.tip", tip=tip.id if tip else None)
        return Said()

    def _title(
        self, client: WebClient, channel: str, thread_ts: str, title: str
    ) -> None:
        name_thread(self.deps.store, client, channel, thread_ts, title)


def name_thread(
    store: Store, client: WebClient, channel: str, thread_ts: str, title: str
) -> None:
    """A panel thread is named after its first answer's topic, once (an
    answer to a question, or an entry picked from "did you mean")."""
    try:
        if not store.claim_title(channel, thread_ts):
            return
    except SQLAlchemyError:
        return  # untitled is fine
    titled = _quietly(
        "title",
        lambda: client.assistant_threads_setTitle(
            channel_id=channel,
            thread_ts=thread_ts,
            title=shorten(title, TITLE_CHARS),
        ),
    )
    if not titled:
        with contextlib.suppress(SQLAlchemyError):
            store.release_title(channel, thread_ts)


def _drop_misshapen(body: Body, next: Callable[[], None]) -> BoltResponse | None:
    """A panel event without its thread, or any event whose `assistant_thread`
    is no object, or can't be read and the event has no channel and thread
    of its own: one log line and a 200 (Bolt's Assistant code would raise on
    it, and Slack retry the 500)."""
    event = body.get("event")
    if not isinstance(event, dict):
        event = {}
    panel = event.get("type") in EVENTS
    own_thread = event.get("channel") is not None and event.get("thread_ts") is not None
    odd = "assistant_thread" in event and (
        not isinstance(event["assistant_thread"], dict) or not own_thread
    )
    if (panel or odd) and _thread(event) is None:
        return BoltResponse(status=200)
    next()
    return None


def _known_at_once(
    store: Store, body: Body, next: Callable[[], None]
) -> BoltResponse | None:
    """A panel thread Slack opened is recorded before its event is acked,
    not when its work comes up: the person's first message, sent a moment
    later, is told from a DM thread by the store (`Panel.in_panel`) when
    Slack delivers it, and must find the thread there even while earlier
    work waits for a worker. The queued work records it again (no change)."""
    event = body.get("event")
    if isinstance(event, dict) and event.get("type") == "assistant_thread_started":
        thread = _thread(event)
        if thread is not None:
            try:
                store.start_assistant_thread(*thread)
            except SQLAlchemyError as error:  # the queued work tries again
                structlog.get_logger().warning(
                    "assistant.thread_lost", error=str(error)[:200]
                )
    next()
    return None


def register(app: App, deps: Deps) -> None:
    panel = Panel(deps)
    assistant = Assistant(thread_context_store=StoreContexts(deps.store))
    listen(assistant.thread_started, panel.thread_started, deps.executor, deps.gate)
    listen(
        assistant.thread_context_changed,
        panel.context_changed,
        deps.executor,
        deps.gate,
    )
    # Bolt adds `matchers` to its own list, so it takes a list (its hint says
    # one matcher).
    app.middleware(_drop_misshapen)
    app.middleware(functools.partial(_known_at_once, deps.store))
    in_panel = functools.partial(
        assistant.user_message,
        matchers=[panel.in_panel],  # type: ignore[arg-type]
    )
    listen(in_panel, panel.user_message, deps.executor, deps.gate)
    app.assistant(assistant)
