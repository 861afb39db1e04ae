"""Suggested prompts: what a new conversation offers to ask, from the knowledge.

The most asked entries first (what the store counted), then the knowledge's
own opening entries (each file's first, the file's subject) until there are
enough, and today's tip last. Each prompt's message is a question the bot
answers with that entry: the entry's first phrasing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.knowledge.models import Entry, Knowledge, Tip
from bot.text.markup import clean_slack

MAX_PROMPTS = 4  # Slack shows at most four
PROMPT_TITLE_CHARS = 75
TIP_PROMPT = "Show me today's tip"
_TIP_ASKED = re.compile(
    r"(?:(?:show|give|tell)\s+me\s+)?(?:today'?s|the\s+daily|daily|a)\s+tip"
    r"(?:\s+(?:of\s+the\s+day|please|pls))?|tip\s+of\s+the\s+day(?:\s+please)?"
)


@dataclass(frozen=True)
class Prompt:
    title: str  # what the button says
    message: str  # what it sends, as if the person typed it


def _shorten(text: str, limit: int = PROMPT_TITLE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _prompt(entry: Entry) -> Prompt:
    message = entry.questions[0] if entry.questions else entry.title
    return Prompt(_shorten(entry.title), _shorten(message, 2000))


def openings(knowledge: Knowledge) -> list[Entry]:
    """Each knowledge file's first entry, in file order: what the file is about."""
    firsts: dict[str, Entry] = {}
    for entry in knowledge.entries:
        firsts.setdefault(entry.file, entry)
    return list(firsts.values())


def suggested(
    knowledge: Knowledge, popular: Iterable[str], tip: Tip | None
) -> tuple[Prompt, ...]:
    """Up to `MAX_PROMPTS`: popular entries (ids gone since are skipped), the
    knowledge's openings after them, and today's tip if there is one."""
    room = MAX_PROMPTS - (tip is not None)
    chosen: dict[str, Entry] = {}
    known = (knowledge.by_id.get(entry_id) for entry_id in popular)
    for entry in [*(e for e in known if e is not None), *openings(knowledge)]:
        if len(chosen) == room:
            break
        chosen.setdefault(entry.id, entry)
    prompts = [_prompt(e) for e in chosen.values()]
    if tip is not None:
        prompts.append(Prompt("Today's tip", TIP_PROMPT))
    return tuple(prompts)


def asks_for_tip(text: str) -> bool:
    """Is `text` a request for the tip of the day ("today's tip", the prompt)?"""
    words = re.sub(r"[^\w\s']", " ", clean_slack(text).lower().replace("\u2019", "'"))
    return bool(_TIP_ASKED.fullmatch(" ".join(words.split())))
