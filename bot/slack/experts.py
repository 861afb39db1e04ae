"""Ask an expert: a question the bot couldn't answer (or whose answer got a 👎)
goes to STPM_BOT_EXPERTS_CHANNEL with a link to the conversation.

The question is shown only through `mrkdwn.echo`, so nobody is notified by
what the asker typed; the asker is not mentioned either. They get a link to
the post in the experts' channel instead, to follow the replies.
"""

from __future__ import annotations

import hashlib
from typing import Any

import structlog
from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.knowledge.models import Knowledge
from bot.slack import blocks
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen
from bot.text.markup import echo

Body = dict[str, Any]
Origin = tuple[str, str | None]  # channel, and the message to link (if any)
QUESTION_CHARS = 500


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
    if ts is None or channel.startswith("D"):
        return None
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackApiError as error:
        code = error.response.get("error")
        structlog.get_logger().warning("experts.no_permalink", slack_error=code)
        return None
    return str(link["permalink"]) if link.get("permalink") else None


def expert_post(
    value: blocks.ExpertValue, link: str | None, knowledge: Knowledge
) -> blocks.Message:
    """The message in the experts' channel: the question, inert, and the link."""
    question = echo(value.question, QUESTION_CHARS)
    notes = [f"<{link}|Open the conversation>" if link else "Asked privately"]
    entry = knowledge.by_id.get(value.entry_id)
    if entry is not None:
        notes.append(f"my answer “{entry.title}” was marked not helpful")
    section = SectionBlock(
        text=MarkdownTextObject(text=f"*A question for the experts*\n>{question}")
    )
    context = ContextBlock(elements=[MarkdownTextObject(text=" · ".join(notes))])
    return blocks.Message(
        f"A question for the experts: “{question}”", (section, context)
    )


def _key(where: Origin | None, question: str) -> str:
    digest = hashlib.sha256(question.encode()).hexdigest()[:16]
    return f"expert:{where or ''}:{digest}"


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
            text = self._pass_on(value, origin(body, value), experts, client)
        respond(response_type="ephemeral", replace_original=False, text=text)

    def _pass_on(
        self,
        value: blocks.ExpertValue,
        where: Origin | None,
        experts: str,
        client: WebClient,
    ) -> str:
        """Post the question to `experts` once; what to tell the asker."""
        key = _key(where, value.question)
        if not self.deps.store.claim([key]):
            return f"Your question is already with the experts in <#{experts}>."
        link = permalink(client, *where) if where else None
        message = expert_post(value, link, self.deps.knowledge)
        try:
            posted = client.chat_postMessage(channel=experts, **message.as_kwargs())
        except SlackApiError:
            self.deps.store.release([key])  # let the asker try again
            raise
        structlog.get_logger().info("experts.asked", linked=link is not None)
        mine = permalink(client, experts, posted.get("ts"))
        text = f"Thanks! I asked the experts in <#{experts}>"
        return text + (f": <{mine}|follow the replies there>." if mine else ".")


def register(app: App, deps: Deps) -> None:
    listen(app.action(blocks.ASK_EXPERT), Experts(deps).ask, deps.executor, deps.gate)
