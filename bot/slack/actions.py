"""Button clicks: show a related entry, record feedback, share an answer."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import structlog
from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.answers.gaps import REASONS
from bot.answers.replies import entry_reply
from bot.slack import blocks
from bot.slack.assistant import name_thread
from bot.slack.client import never_sent
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.home import publish_home
from bot.slack.listeners import listen
from bot.slack.outbox import REPLAY, check_fence
from bot.slack.posting import (
    RETRY_ERRORS,
    UnknownIfPosted,
    look_for_reply,
    once_client,
    post_reply,
    tag,
    unclear,
)
from bot.slack.respond import ResponseUrlError
from bot.store.database import Store

ACTIONS = (
    blocks.SHOW_ENTRY_ACTION,
    blocks.FEEDBACK_ACTION,
    blocks.SHARE,
    blocks.STOP_HERE,
    blocks.HIDE_ANSWER,
    blocks.WHY_OPEN,
    blocks.FEEDBACK_BUTTONS,
)
# An App Home click this soon after the last for the same entry is the
# same request clicked twice.
DOUBLE_CLICK = dt.timedelta(seconds=10)
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


def _clicked_at(body: Body) -> str | None:
    """When the click happened, as a Slack ts (its `action_ts`): what a look
    for the post it made starts from; None if the payload doesn't say."""
    for action in body.get("actions") or []:
        if isinstance(action, dict) and action.get("action_ts"):
            return str(action["action_ts"])
    return None


def _home_note(title: str, error: Exception, sure: bool) -> str:
    """What App Home says when `title` could not be sent to the DM."""
    if not sure:
        return (
            f"Sorry, Slack didn't confirm that *{title}* reached our messages. "
            "If it isn't there, click it again in a minute."
        )
    code = error.response.get("error") if isinstance(error, SlackApiError) else None
    if code is None or code in RETRY_ERRORS:  # the next click may be sent
        return (
            f"Sorry, I couldn't send *{title}* to our messages just now. "
            "Please click it again in a minute."
        )
    return (
        f"Sorry, Slack won't let me send *{title}* to our messages (`{code}`), "
        "so clicking again won't help until that is fixed. Please tell whoever "
        "looks after this app."
    )


def share_once(
    store: Store,
    body: Body,
    entry_id: str,
    post: Callable[[], object],
    respond: Respond,
    replay: bool = False,
) -> bool:
    """Run `post` (an answer shared from a private message) once for that
    message and entry: a double-click, or a second replica, shares nothing
    more, and a click after the first is told so. The claim is given back
    when the post surely didn't go out (Slack refused the `response_url`, or
    the request never left), so a click again can share it; after a reset,
    a timeout or a 5xx it is kept (never twice) and the clicker is told to
    look in the channel. `replay`: the click is taken up again after its
    process died; when it had claimed the share, nobody can tell whether
    it went out (a `response_url` post can't be looked for), so the clicker
    is told to look. Whether it was posted."""
    container = body.get("container") or {}
    message_ts = container.get("message_ts")
    if not message_ts:  # nothing says which message: no claim to make
        post()
        return True
    key = f"share:{container.get('channel_id') or ''}:{message_ts}:{entry_id}"
    mine = f"{key}:{_click_id(body)}"
    if not store.claim([key, mine]):
        if replay and store.claimed(mine):
            structlog.get_logger().info("slack.share_unknown", entry=entry_id)
            _tell(
                respond,
                "I was restarting when you clicked Share, so I can't tell whether "
                "the answer reached the channel; look there before sharing it again.",
            )
            return False
        structlog.get_logger().info("slack.already_shared", entry=entry_id)
        _tell(respond, "That answer is already shared in the channel.")
        return False
    try:
        post()
    except (ResponseUrlError, OSError) as error:
        refused = isinstance(error, ResponseUrlError) and error.status < 500
        if refused or never_sent(error):
            store.release([key, mine])
            raise
        structlog.get_logger().warning(
            "slack.share_unknown", entry=entry_id, error=str(error)[:200]
        )
        _tell(
            respond,
            "Slack didn't confirm the share; it may be in the channel already, "
            "so look there before sharing it again.",
        )
        return False
    return True


def _tell(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, text=text)


def _click_id(body: Body) -> str:
    """What tells this click from any other, the same in a replay of it: its
    `action_ts`, else its `trigger_id`, else a digest of the payload."""
    found = _clicked_at(body) or body.get("trigger_id")
    if found:
        return str(found)
    raw = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


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
        # A button carries the id as its value; the "more…" menu as the choice.
        chosen = (action.get("selected_option") or {}).get("value")
        shown = blocks.shown_value(chosen or action.get("value", ""))
        entry, asked = self.deps.knowledge.by_id.get(shown.entry_id), shown.question
        if entry is None:
            if body.get("container", {}).get("type") == "view":
                # App Home shows an id a reload removed: show it as it is now.
                note = (
                    "That entry has been removed or renamed; here is what I know now."
                )
                publish_home(self.deps, client, body["user"]["id"], note)
                return
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="Sorry, that entry is no longer available.",
            )
            return
        structlog.get_logger().info("slack.entry_shown", entry=entry.id)
        private = _private(body)
        # Opened from a private answer ("did you mean" in /stpm): private too,
        # with Share like every private answer.
        message = blocks.answer(
            entry_reply(self.deps.knowledge, entry, asked),
            private=private,
            thread_ts=shown.thread_ts,  # where its Share goes (the shortcut's)
        )
        where = None if private else _thread_of(body)
        if where is None and body.get("container", {}).get("type") == "view":
            where = (body["user"]["id"], None)  # App Home: into the app's DMs
        panel = where is not None and self._in_panel(*where)
        if panel:  # a side-panel thread: Slack's own feedback buttons there
            reply = entry_reply(self.deps.knowledge, entry, asked)
            message = blocks.answer(reply, native_feedback=True)
        if where is None:
            respond(
                response_type="ephemeral", replace_original=False, **message.as_kwargs()
            )
            return
        channel, thread_ts = where
        click = _click_id(body)
        home = channel.startswith(("U", "W"))
        replay = context.get(REPLAY) is not None
        # Through the response_url, which works in a channel the bot is not
        # in (a shared answer); App Home's posts go to the user id.
        by_url = bool(respond.response_url) and not home
        # A DM's top level is one person's, not a thread others read: an
        # entry clicked again there later is posted again, as from App Home.
        own = home or (channel.startswith("D") and not thread_ts)
        if own:
            claimed = self._claim_home(channel, entry.id, click, replay)
        else:
            user = body["user"]["id"]
            claimed = self._claim_thread(
                channel, thread_ts, entry.id, user, click, replay
            )
        if claimed is None:  # a double-click in one's own DM: nothing more
            if not own and respond.response_url:  # in the thread already:
                respond(  # to the clicker alone
                    response_type="ephemeral",
                    replace_original=False,
                    **message.as_kwargs(),
                )
            return
        key, resumed, keys = claimed
        posted: Any = None  # Slack's answer to the post, when this click made it
        if by_url:
            found = None
            if resumed:  # its first process may have posted it before dying
                try:
                    found = look_for_reply(
                        once_client(client), channel, thread_ts, key, thread_ts
                    )
                except UnknownIfPosted as error:  # a channel the bot can't read:
                    structlog.get_logger().info(  # to the clicker alone, never twice
                        "slack.unknown_if_posted", key=key, error=str(error)[:200]
                    )
                    respond(
                        response_type="ephemeral",
                        replace_original=False,
                        **message.as_kwargs(),
                    )
                    return
            if found is None:
                check_fence()  # a replay of this click goes on and looks first
                respond(
                    response_type="in_channel",
                    replace_original=False,
                    thread_ts=thread_ts,
                    metadata=tag(key),
                    **message.as_kwargs(),
                )
            else:
                structlog.get_logger().info("slack.already_posted", key=key)
        else:  # once: looked for after a reset, and first when taken up again
            try:
                posted = post_reply(
                    client,
                    key,
                    channel=channel,
                    thread_ts=thread_ts,
                    # Unknown when: the look starts at the beginning.
                    since=thread_ts or _clicked_at(body),
                    look_first=resumed,
                    fenced=True,
                    **message.as_kwargs(),
                )
            except (SlackApiError, OSError, UnknownIfPosted) as error:
                sure = not isinstance(error, UnknownIfPosted) and not unclear(error)
                if sure:  # surely not posted: the next click may, even at once
                    self._release(keys)
                if home:  # after the release: the note says to click again
                    view = body.get("view") or {}
                    note = _home_note(entry.title, error, sure)
                    self._tell_home(client, channel, note, view.get("hash"))
                raise
        # The clicker's "tell me more" here goes on from this entry (a DM's
        # topic is the whole DM's, a side-panel thread's its own; from App
        # Home, the DM's the entry went to, where "tell me more" is asked).
        dm = (home or channel.startswith("D")) and not panel
        where_topic = "" if dm else thread_ts
        if home:
            channel = str((posted or {}).get("channel") or channel)
            view = body.get("view") or {}
            shown_blocks = view.get("blocks") or [{}]
            if isinstance(shown_blocks[0], dict) and shown_blocks[0].get("type") == (
                "context"
            ):  # the tab still says an earlier click failed: no more
                self._tell_home(client, body["user"]["id"], "", view.get("hash"))
        if panel and thread_ts and asked:  # "did you mean" answered the question
            name_thread(self.deps.store, client, channel, thread_ts, entry.title)
        if where_topic is not None:
            try:
                self.deps.store.remember_topic(
                    channel, where_topic, entry.id, body["user"]["id"], [entry.id]
                )
            except SQLAlchemyError as error:  # the entry is out; only "more" is lost
                structlog.get_logger().warning(
                    "slack.topic_lost", error=str(error)[:200]
                )

    def _claim_thread(
        self,
        channel: str,
        thread_ts: str | None,
        entry_id: str,
        user: str,
        click: str,
        may_resume: bool,
    ) -> tuple[str, bool, list[str]] | None:
        """Whether this click posts the entry in the thread: once per thread,
        so a second click (or three people clicking at once) sees it
        privately instead. Returns the post's key, whether the click is taken
        up again, and the claims to give back if it surely wasn't posted;
        None: the post is not this click's to make.

        The click's own claim says, when it is taken up again from the
        outbox after its process died (`may_resume`), that the thread's claim
        is its own: it goes on, and looks for the entry in the thread first."""
        once = f"shown:{channel}:{thread_ts or ''}:{entry_id}"
        mine = f"{once}:{user}:{click}"
        if self.deps.store.claim([once, mine]):
            return once, False, [once, mine]
        if may_resume and self.deps.store.claimed(mine):
            return once, True, [once, mine]
        return None

    def _claim_home(
        self, user: str, entry_id: str, click: str, replay: bool
    ) -> tuple[str, bool, list[str]] | None:
        """Whether this App Home click sends the entry to the clicker's DM:
        once per click, and not again within `DOUBLE_CLICK` of the last one
        (a double-click); a click minutes or days later sends it again.
        Returns as `_claim_thread` does."""
        mine = f"shown:{user}:{click}:{entry_id}"
        recent = f"shown:{user}::{entry_id}"
        if not self.deps.store.claim([mine]):
            # This very click again: taken up after its process died (look
            # first), or a second delivery of it (nothing to do).
            return (mine, True, [mine, recent]) if replay else None
        if not self.deps.store.claim_unless_recent(recent, DOUBLE_CLICK):
            structlog.get_logger().info("slack.double_click", entry=entry_id)
            return None
        return mine, False, [mine, recent]

    def _release(self, keys: list[str]) -> None:
        """Let claims go; a store that fails keeps them (the click is lost, its
        failure logged) rather than hiding the Slack error behind its own."""
        try:
            self.deps.store.release(keys)
        except SQLAlchemyError as error:
            structlog.get_logger().warning(
                "slack.claims_kept", error=type(error).__name__
            )

    def _tell_home(
        self, client: WebClient, user: str, note: str, shown: str | None
    ) -> None:
        """An App Home click has no `response_url` for an apology: the tab is
        published again with `note` (none: the note shown before goes),
        unless it changed since the click (`shown`, its hash: Slack refuses
        with hash_conflict)."""
        try:
            publish_home(self.deps, client, user, note, shown)
        except (SlackClientError, OSError, SQLAlchemyError) as error:
            structlog.get_logger().warning(
                "slack.home_note_failed",
                error=type(error).__name__,
                slack_error=getattr(error, "response", {}).get("error"),
            )

    def _in_panel(self, channel: str, thread_ts: str | None) -> bool:
        """A thread opened from the AI-app side panel (unknown: no)."""
        if not thread_ts or not channel.startswith("D"):
            return False
        try:
            return self.deps.store.is_assistant_thread(channel, thread_ts)
        except SQLAlchemyError:
            return False

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
        self._vote(body, value, vote, respond)

    def native_feedback(
        self,
        body: Body,
        action: dict[str, Any],
        respond: Respond | None,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        """Slack's own 👍/👎 (the side panel): the value says which was clicked."""
        bind(context, "feedback")
        native = blocks.NativeVote.decode(action.get("value", ""))
        if native is None:
            structlog.get_logger().warning(
                "feedback.malformed", type=action.get("type")
            )
            return
        self._vote(body, native.value, native.vote, respond, client)

    def _vote(
        self,
        body: Body,
        value: blocks.VoteValue,
        vote: int,
        respond: Respond | None,
        client: WebClient | None = None,
    ) -> None:
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
        # Through the click's response_url: shown next to the message clicked,
        # in a thread only if it is in one, in channels the bot is not in too.
        if respond is not None and respond.response_url:
            respond(response_type="ephemeral", replace_original=False, **thanks)
        elif client is not None and where is not None:  # no response_url sent
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
        """Thanks; after a 👎, "Tell us why", and "Ask an expert" if there
        are experts."""
        if vote > 0:
            return {"text": THANKS[vote]}
        if not self.deps.ask_expert:
            thanks = blocks.notice(THANKS[vote])
            why = blocks.Message(
                thanks.text, (*thanks.blocks, blocks.why_button(value))
            )
            return why.as_kwargs()
        channel, thread_ts = where or ((body.get("channel") or {}).get("id"), None)
        expert = blocks.ExpertValue(
            value.question, channel or "", thread_ts or "", value.entry_id
        )
        offer = blocks.with_ask_expert(THANKS[vote], expert)
        return blocks.Message(
            offer.text, (*offer.blocks, blocks.why_button(value))
        ).as_kwargs()

    def stop_here(
        self,
        body: Body,
        action: dict[str, Any],
        respond: Respond,
        context: BoltContext,
    ) -> None:
        """*Stop answering here*: the thread is nobody's follow-up any more
        (a mention still gets an answer)."""
        bind(context, "stop_answering")
        where = _thread_of(body)
        thread_ts = where[1] if where else None
        if where is None or thread_ts is None:
            return
        channel = where[0]
        self.deps.store.stop_thread(channel, thread_ts)
        structlog.get_logger().info("slack.thread_stopped", channel=channel)
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="OK, I'll stay out of this thread unless someone mentions me.",
        )

    def hide(
        self,
        body: Body,
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        """*Not helpful (hide)* on a help channel's automatic answer: counted
        as a 👎 (a knowledge gap), and the answer deleted for everyone."""
        bind(context, "hide_answer")
        value = blocks.VoteValue.decode(action.get("value", ""))
        channel = (body.get("channel") or {}).get("id")
        ts = (body.get("message") or {}).get("ts")
        if value is None or not channel or not ts:
            return
        candidates = self.deps.candidates(value.question)
        self.deps.store.record_vote(
            value.question, value.entry_id, -1, body["user"]["id"], candidates
        )
        try:
            client.chat_delete(channel=channel, ts=ts)
        except SlackApiError as error:
            if error.response.get("error") != "message_not_found":
                raise
            respond(  # a second click, or someone else's: it is gone already
                response_type="ephemeral",
                replace_original=False,
                text="That answer was already removed; your vote is noted.",
            )
            return
        structlog.get_logger().info("slack.answer_hidden", entry=value.entry_id)
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="Thanks: I've removed that answer and noted it for the curators.",
        )

    def open_why(
        self,
        body: Body,
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        """*Tell us why*: the optional modal (`trigger_id` lasts 3 seconds)."""
        bind(context, "feedback_why")
        value = blocks.VoteValue.decode(action.get("value", ""))
        if value is None or not body.get("trigger_id"):
            return
        view = blocks.why_modal(value, REASONS)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def why_submitted(
        self, body: Body, view: dict[str, Any], context: BoltContext
    ) -> None:
        """The modal sent: the reason kept for `stpm-bot report`."""
        bind(context, "feedback_reason")
        value = blocks.VoteValue.decode(view.get("private_metadata", ""))
        values = (view.get("state") or {}).get("values") or {}
        choice = ((values.get("reason") or {}).get("choice") or {}).get(
            "selected_option"
        ) or {}
        note = ((values.get("note") or {}).get("text") or {}).get("value") or ""
        reason = str(choice.get("value") or "other")
        if value is None or reason not in REASONS:
            return
        user = (body.get("user") or {}).get("id", "")
        self.deps.store.record_reason(
            value.question, value.entry_id, user, reason, note
        )
        structlog.get_logger().info(
            "feedback.reason", entry=value.entry_id, reason=reason, noted=bool(note)
        )

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
        message = blocks.answer(reply, shared=True, by=body["user"]["id"])

        def post() -> None:
            respond(
                response_type="in_channel",
                replace_original=False,
                thread_ts=value.thread_ts or None,
                **message.as_kwargs(),
            )

        replay = context.get(REPLAY) is not None
        if share_once(self.deps.store, body, entry.id, post, respond, replay):
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
    listen(
        app.action(blocks.FEEDBACK_BUTTONS),
        actions.native_feedback,
        deps.executor,
        deps.gate,
    )
    listen(app.action(blocks.SHARE), actions.share, deps.executor, deps.gate)
    listen(app.action(blocks.STOP_HERE), actions.stop_here, deps.executor, deps.gate)
    listen(app.action(blocks.HIDE_ANSWER), actions.hide, deps.executor, deps.gate)
    listen(app.action(blocks.WHY_OPEN), actions.open_why, deps.executor, deps.gate)
    listen(app.view(blocks.WHY_VIEW), actions.why_submitted, deps.executor, deps.gate)
