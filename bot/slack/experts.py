"""Ask an expert: a question the bot couldn't answer (or whose answer got a 👎)
goes to STPM_BOT_EXPERTS_CHANNEL with a link to the conversation, and the
loop closes there.

The question is shown only through `mrkdwn.echo`, so nobody is notified by
what the asker typed. The asker is mentioned only if they chose *Ask an
expert, mention me*. One question per person is pending at a time. The first
expert reply in the post's thread is relayed to the asker (their thread, or
a DM), once; *Answered* closes the question and tells the asker.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

import structlog
from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackObjectFormationError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.knowledge.models import Knowledge
from bot.slack import blocks
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen
from bot.slack.outbox import REPLAY
from bot.slack.posting import UnknownIfPosted, post_reply, unclear
from bot.store.records import ExpertQuestion
from bot.text.markup import defuse, echo, shorten, split_mrkdwn

Body = dict[str, Any]
Origin = tuple[str, str | None]  # channel, and the message to link (if any)
QUESTION_CHARS = 500
REPLY_CHARS = 2500
ACTIONS_BLOCK = "expert_actions"
# Slack's answers when the bot can't post in the asker's thread: a DM instead.
CANNOT_POST = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
)


def origin(body: Body, value: blocks.ExpertValue) -> Origin | None:
    """Where the question was asked: from the button's value, else the click."""
    if value.channel:
        return value.channel, value.thread_ts or None
    channel = (body.get("channel") or {}).get("id")
    if not channel:
        return None
    message = body.get("message") or {}  # none for a private (ephemeral) message
    return channel, message.get("thread_ts") or message.get("ts")


def permalink(client: WebClient, channel: str, ts: str | None) -> str | None:
    """A link to the message, or None (direct messages, private replies)."""
    if not ts or channel.startswith("D"):
        return None
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackApiError as error:
        code = error.response.get("error")
        structlog.get_logger().warning("experts.no_permalink", slack_error=code)
        return None
    return str(link["permalink"]) if link.get("permalink") else None


def _actions(question_id: int, answered: bool) -> ActionsBlock:
    """*Answered* while the question is open; *Add to knowledge* always."""
    value = str(question_id)
    teach = blocks.button("Add to knowledge", blocks.TEACH_EXPERT, value)
    if answered:
        return ActionsBlock(block_id=ACTIONS_BLOCK, elements=[teach])
    done = blocks.button("Answered", blocks.EXPERT_ANSWERED, value, "primary")
    return ActionsBlock(block_id=ACTIONS_BLOCK, elements=[done, teach])


def expert_post(
    value: blocks.ExpertValue,
    link: str | None,
    knowledge: Knowledge,
    question_id: int,
    asker: str | None = None,
) -> blocks.Message:
    """The message in the experts' channel: the question, inert, the link,
    the asker only if they asked to be mentioned, and the experts' buttons."""
    question = echo(value.question, QUESTION_CHARS)
    notes = [f"<{link}|Open the conversation>" if link else "Asked privately"]
    if asker:
        notes.insert(0, f"Asked by <@{asker}>")
    entry = knowledge.by_id.get(value.entry_id)
    if entry is not None:
        notes.append(f"my answer “{entry.title}” was marked not helpful")
    section = SectionBlock(
        text=blocks.verbatim(f"*A question for the experts*\n>{question}")
    )
    context = ContextBlock(elements=[blocks.verbatim(" · ".join(notes))])
    text = f"A question for the experts: “{question}” ({'; '.join(notes)})"
    return blocks.Message(text, (section, context, _actions(question_id, False)))


def answered_post(shown: list[dict[str, Any]], question_id: int, by: str) -> list[Any]:
    """The experts' post as shown, its buttons replaced by who answered."""
    kept: list[Any] = [b for b in shown if b.get("block_id") != ACTIONS_BLOCK]
    note = ContextBlock(elements=[MarkdownTextObject(text=f"✅ Answered by <@{by}>")])
    return [*kept, note.to_dict(), _actions(question_id, True).to_dict()]


def relayed(question: ExpertQuestion, reply: str, link: str | None) -> blocks.Message:
    """The expert's reply, as the asker gets it: shown as typed, no pings."""
    asked = echo(question.question, 150)
    said = shorten(defuse(reply), REPLY_CHARS).replace("\n", "\n>")
    # Quoting adds a character a line: a reply of many short lines is cut
    # into sections (each within Slack's limit, never inside markup).
    whole = f"*An expert answered your question* “{asked}”\n>{said}"
    parts: list[Block] = [
        SectionBlock(text=blocks.verbatim(_quoted(n, piece)))
        for n, piece in enumerate(split_mrkdwn(whole, blocks.SECTION_CHARS - 1))
    ]
    if link:
        parts.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"<{link}|See the whole thread>")]
            )
        )
    return blocks.Message(
        f"An expert answered your question “{asked}”: {said}", tuple(parts)
    )


def _quoted(n: int, piece: str) -> str:
    """A piece of the relayed message: after the first, a line cut in two
    goes on quoted."""
    return piece if n == 0 or piece.startswith(">") else f">{piece}"


def closed_note(question: ExpertQuestion) -> blocks.Message:
    asked = echo(question.question, 150)
    return blocks.notice(
        f"An expert marked your question “{asked}” as answered.", echoes=True
    )


def tell_asker(
    client: WebClient,
    question: ExpertQuestion,
    message: blocks.Message,
    key: str,
    look_first: bool = False,
) -> str | None:
    """Post `message` once in the asker's thread if it was asked in a
    channel's thread the bot can post in, else in a DM; where it went (None:
    the asker is no longer known). Tagged with `key` and looked for before a
    second try (`post_reply`; `look_first`: before the first, for a request
    taken up again). A DM known only by the user id is looked for in the DM
    the post opens, which needs `im:write`; when it can't be looked in, it is
    not posted again ("unknown": it may be there)."""
    since = question.post_ts or None  # nothing for the asker came before it
    channel, thread_ts = question.channel, question.thread_ts
    places: list[tuple[str, str, str | None]] = []
    if channel and thread_ts and not channel.startswith(("D", "U")):
        places.append(("thread", channel, thread_ts))
    elif channel.startswith("D"):  # asked in a DM: the DM's id is known
        places.append(("dm", channel, None))
    for where, target, thread in places:
        try:
            post_reply(
                client,
                key,
                channel=target,
                thread_ts=thread,
                since=since,
                look_first=look_first,
                **message.as_kwargs(),
            )
            return where
        except SlackApiError as error:
            if error.response.get("error") not in CANNOT_POST or not question.asker:
                raise
    if not question.asker:
        return None
    try:
        post_reply(
            client,
            key,
            channel=question.asker,
            thread_ts=None,
            since=since,
            look_first=look_first,
            **message.as_kwargs(),
        )
    except UnknownIfPosted as error:  # e.g. no `im:write`: never twice
        structlog.get_logger().warning("experts.dm_unknown", key=key, error=str(error))
        return "unknown"
    return "dm"


def _key(where: Origin | None, question: str, asker: str) -> str:
    """What makes a question for the experts the same one: asked in one
    thread, whoever clicks (the relay goes to that thread, for all of them);
    asked privately, per asker (each gets the relay in their own DM)."""
    digest = hashlib.sha256(question.encode()).hexdigest()[:16]
    if where is None or not where[1]:
        return f"expert:{where or ''}:{asker}:{digest}"
    return f"expert:{where}:{digest}"


class Experts(Listeners):
    def ask(
        self,
        body: Body,
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        bind(context, "ask_expert")
        experts = self.deps.settings.experts_channel
        value = blocks.ExpertValue.decode(action.get("value", ""))
        if value is None or not experts:
            text = "Sorry, asking the experts is not available any more."
        else:
            named = action.get("action_id") == blocks.ASK_EXPERT_NAMED
            asker = str((body.get("user") or {}).get("id", ""))
            text = self._pass_on(
                value, origin(body, value), experts, client, asker, named
            )
        respond(response_type="ephemeral", replace_original=False, text=text)

    def _pass_on(
        self,
        value: blocks.ExpertValue,
        where: Origin | None,
        experts: str,
        client: WebClient,
        asker: str,
        named: bool,
    ) -> str:
        """Post the question to `experts` once; what to tell the asker."""
        store = self.deps.store
        key = _key(where, value.question, asker)
        if not store.claim([key]):
            return f"Your question is already with the experts in <#{experts}>."
        channel, ts = where if where else ("", None)
        asked = store.ask_experts(
            value.question,
            asker,
            experts,
            entry_id=value.entry_id,
            channel=channel,
            thread_ts=ts or "",
        )
        if asked is None:  # one pending question per person
            pending = store.pending_question_of(asker)
            if pending is not None and not pending.post_ts:
                # Its post never went out (the process died before it): it
                # can't be answered, so it mustn't hold this one back.
                store.withdraw_expert_question(pending.id)
                asked = store.ask_experts(
                    value.question,
                    asker,
                    experts,
                    entry_id=value.entry_id,
                    channel=channel,
                    thread_ts=ts or "",
                )
        if asked is None:
            store.release([key])
            return self._still_pending(client, asker, experts)
        link = permalink(client, *where) if where else None
        message = expert_post(
            value, link, self.deps.knowledge, asked.id, asker if named else None
        )
        try:
            # Once: after a reset or a timeout the post is looked for first.
            posted = post_reply(
                client,
                f"expert:{asked.id}",
                channel=experts,
                thread_ts=None,
                since=f"{time.time() - 60:.6f}",
                **message.as_kwargs(),
            )
        except (SlackApiError, OSError, UnknownIfPosted):
            store.withdraw_expert_question(asked.id)  # let the asker try again
            store.release([key])
            raise
        posted_ts = str((posted or {}).get("ts") or "")
        store.posted_to_experts(asked.id, posted_ts)
        structlog.get_logger().info(
            "experts.asked", linked=link is not None, named=named, question=asked.id
        )
        mine = permalink(client, experts, posted_ts or None)
        text = f"Thanks! I asked the experts in <#{experts}>"
        text += f": <{mine}|follow the replies there>" if mine else ""
        return text + ". I'll pass on the first answer here or in a DM."

    def _still_pending(self, client: WebClient, asker: str, experts: str) -> str:
        pending = self.deps.store.pending_question_of(asker)
        link = permalink(client, experts, pending.post_ts) if pending else None
        which = f"<{link}|your question>" if link else "your question"
        return (
            f"The experts in <#{experts}> still have {which}; you can ask "
            "another once it is answered."
        )

    def answered(
        self,
        body: Body,
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        """*Answered*: the question closes, the post says who, the asker is told."""
        bind(context, "expert_answered")
        expert = str((body.get("user") or {}).get("id", ""))
        try:
            question_id = int(action.get("value", ""))
        except ValueError:
            return
        closed = self.deps.store.mark_answered(question_id, expert)
        resumed = False
        if closed is None:
            now = self.deps.store.expert_question(question_id)
            if context.get(REPLAY) is not None and now and now.answered_by == expert:
                # This click closed it, and its process died before the rest:
                # finish, looking for the note first (the asker's id is gone,
                # so a note that was to go by DM can't be sent any more).
                closed, resumed = now, True
            else:
                by = f" by <@{now.answered_by}>" if now and now.answered_by else ""
                respond(
                    response_type="ephemeral",
                    replace_original=False,
                    text=f"That question was already marked answered{by}.",
                )
                return
        shown = (body.get("message") or {}).get("blocks") or []
        client.chat_update(
            channel=closed.post_channel,
            ts=closed.post_ts,
            text=f"Answered by <@{expert}>: “{echo(closed.question, 150)}”",
            blocks=answered_post(shown, question_id, expert),
        )
        note = closed_note(closed)
        key = f"expert-answered:{question_id}"
        told = tell_asker(client, closed, note, key, look_first=resumed)
        structlog.get_logger().info("experts.answered", question=question_id, told=told)

    def on_reply(
        self,
        event: dict[str, Any],
        client: WebClient,
        replay: bool = False,
        bot_user_id: str | None = None,
    ) -> None:
        """A person's message in a thread of the experts' channel: the first
        one under a pending question, by someone other than its asker, goes to
        the asker, once (a mention of the bot in it is left out: it was said
        to the bot). `replay`: the request was taken up again after its
        process died; if that process had claimed this reply, the relay is
        looked for before it is posted."""
        store = self.deps.store
        question = store.expert_question_at(
            event["channel"], event.get("thread_ts", "")
        )
        if question is None or question.status != "pending":
            return
        if question.asker and event.get("user") == question.asker:
            return  # the asker adding to their question is not an answer
        text = event.get("text", "")
        if bot_user_id:
            text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>\s*", "", text)
        if not text.strip():
            return
        claimed = store.claim_reply(question.id, text)
        resumed = replay and question.reply == text
        if not claimed and not resumed:
            return
        try:
            link = permalink(client, event["channel"], event["ts"])
        except OSError:  # Slack away: nothing relayed yet, the next reply then
            store.release_reply(question.id)
            raise
        message = relayed(question, text, link)
        try:
            told = tell_asker(
                client, question, message, f"expert-reply:{question.id}", resumed
            )
        except Exception as error:
            # Surely not relayed (refused, never sent, or the message could
            # not even be built): the next reply, then. Anything else may
            # have posted it (a reset, a timeout, an answer cut short) and
            # keeps the claim.
            if _surely_not_posted(error):
                store.release_reply(question.id)
            raise
        structlog.get_logger().info("experts.relayed", question=question.id, to=told)


def _surely_not_posted(error: Exception) -> bool:
    if isinstance(error, SlackObjectFormationError | ValueError):
        return True  # raised building the request, before anything was sent
    return isinstance(error, SlackApiError | OSError) and not unclear(error)


def register(app: App, deps: Deps) -> None:
    experts = Experts(deps)
    for action_id in (blocks.ASK_EXPERT, blocks.ASK_EXPERT_NAMED):
        listen(app.action(action_id), experts.ask, deps.executor, deps.gate)
    listen(
        app.action(blocks.EXPERT_ANSWERED), experts.answered, deps.executor, deps.gate
    )
