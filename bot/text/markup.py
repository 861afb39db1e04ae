"""Slack's message markup in and out: questions from raw text, inert echoes.

Slack sends `&`, `<` and `>` escaped and wraps mentions and links in `<...>`
(`<@U123>`, `<!channel>`, `<!subteam^S1|@team>`, `<https://x|label>`).
"""

from __future__ import annotations

import re

_MARKUP = re.compile(r"<([^<>]*)>")
_SPACES = re.compile(r"\s+")
GREETINGS = frozenset(
    {"", "help", "hi", "hello", "hey", "hiya", "yo", "start", "?", "hi there"}
)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


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
