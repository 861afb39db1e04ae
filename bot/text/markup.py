"""Slack's message markup in and out: questions from raw text, inert echoes.

Slack sends `&`, `<` and `>` escaped and wraps mentions and links in `<...>`
(`<@U123>`, `<!channel>`, `<!subteam^S1|@team>`, `<https://x|label>`).
"""

from __future__ import annotations

import re

_MARKUP = re.compile(r"<([^<>]*)>")
_SLACK_LINK = re.compile(r"<(?:https?://|mailto:)[^>|]*(?:\|([^>]*))?>")
_SLACK_REF = re.compile(r"<[@#!][^>]*>")
_EMOJI = re.compile(r":[a-z0-9_+'-]+:", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://\S+")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ENTITY = re.compile("|".join(_ENTITIES))
_LINK = re.compile(r"<((?:https?://|mailto:)[^>|]+)(?:\|([^>]+))?>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_SPACES = re.compile(r"\s+")
GREETINGS = frozenset(
    {"", "help", "hi", "hello", "hey", "hiya", "yo", "start", "?", "hi there"}
)


def unescape(text: str) -> str:
    """Slack's three entities back to characters, in one pass."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], text)


def inert(text: str) -> str:
    """`text` escaped so that Slack shows it literally: no mention, no link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _readable(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith(("@", "!")):
        return ""  # people, groups and broadcasts say nothing about the topic
    if target.startswith("#"):
        return label
    return label or target


def question_from(text: str, bot_user_id: str | None = None) -> str:
    """What the user asked, as plain words: the bot's mention and markup removed."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    return _SPACES.sub(" ", unescape(_MARKUP.sub(_readable, text))).strip()


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def echo(question: str, limit: int = 200) -> str:
    """A question, shortened, to show back to its asker: never pings anyone."""
    return inert(shorten(_SPACES.sub(" ", question).strip(), limit))


def is_greeting(question: str) -> bool:
    return question.strip(" !.?,").lower() in GREETINGS


def clean_slack(text: str) -> str:
    """Drop Slack markup that carries no meaning for matching."""
    if "<" not in text and ":" not in text and "&" not in text:
        return text
    text = _SLACK_LINK.sub(lambda m: f" {m.group(1) or ''} ", text)
    text = _SLACK_REF.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = _BARE_URL.sub(" ", text)
    return unescape(text)


def plain(mrkdwn: str) -> str:
    """Slack mrkdwn as terminal text: no *, _ or ~ markers, links spelled out."""
    text = _LINK.sub(lambda m: f"{m[2]} ({m[1]})" if m[2] else m[1], mrkdwn)
    for pattern in (_BOLD, _ITALIC, _STRIKE):
        text = pattern.sub(r"\1", text)
    return unescape(text).strip()
