"""Following the conversation: "tell me more" after an answer, and a question
in two parts.

"tell me more", "why?", "go on" continue the entry just answered: first the
entries it links to, one at a time, then its source section's other entries;
`more_about` says which is next. A question of two questions ("what skills
do STPMs need and how do they stay current?") is split where a second
question starts, so each part can be answered (`parts`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.answers.replies import Reply, entry_reply
from bot.knowledge.models import Entry, Knowledge
from bot.text.markup import clean_slack

_MORE = re.compile(
    r"(?:and\s+)?(?:"
    r"(?:please\s+)?(?:tell|show|give)\s+me\s+more(?:\s+about\s+(?:it|that|this))?"
    r"|(?:can|could)\s+you\s+(?:elaborate|explain\s+(?:more|further|that)|say\s+more"
    r"|tell\s+me\s+more|go\s+on)"
    r"|more(?:\s+(?:please|pls|info|details|on\s+(?:that|this|it)))?"
    r"|(?:go\s+on|continue|elaborate|details|expand\s+on\s+that|say\s+more"
    r"|explain\s+more|keep\s+going|how\s+so|why(?:\s+(?:is\s+that|so))?|and|and\s+then)"
    r")(?:\s+please|\s+pls)?"
)
# Where a second question starts: after "?" or ";", or after " and " (or
# "&", "+") / ", " when a question word or auxiliary verb follows.
_STARTERS = (
    r"how|what|what's|whats|which|why|when|where|who|do|does|did|is|are|should"
    r"|can|could|would|will"
)
_SPLIT = re.compile(
    rf"\?\s+(?=\S)|;\s+|,?\s+(?:and|also|plus|&|\+)\s+(?=(?:{_STARTERS})\b)"
    rf"|,\s+(?=(?:{_STARTERS})\b)",
    re.IGNORECASE,
)
MIN_PART_WORDS = 3
MAX_PARTS = 3  # a pasted list of questions is one question, not twenty


def wants_more(text: str) -> bool:
    """Is `text` a request to go on ("tell me more", "why?", "more pls")?"""
    words = re.sub(r"[^\w\s']", " ", clean_slack(text).lower())
    return bool(_MORE.fullmatch(" ".join(words.split())))


_QUESTION_START = re.compile(rf"(?:{_STARTERS}|any|anyone|tell|explain)\b", re.I)


def looks_like_question(text: str) -> bool:
    """Asked, not remarked: ends with "?" or starts like a question. "I agree,
    communication is key" is a remark; "and what about cloud?" a question."""
    plain = clean_slack(text).strip()
    words = plain.lower().split()
    if words and words[0] in ("and", "so", "ok", "okay", "also", "but"):
        words = words[1:]
    return plain.endswith("?") or bool(words and _QUESTION_START.match(words[0]))


def parts(question: str) -> list[str]:
    """The questions in `question`, when it asks two or three that can stand
    alone (each of at least `MIN_PART_WORDS` words); else `[question]`."""
    pieces = [p.strip(" ,;") for p in _SPLIT.split(question) if p.strip(" ,;?")]
    if not 2 <= len(pieces) <= MAX_PARTS:
        return [question]
    if any(len(p.split()) < MIN_PART_WORDS for p in pieces):
        return [question]
    return pieces


def next_entries(knowledge: Knowledge, entry: Entry) -> list[Entry]:
    """What "tell me more" walks through after `entry`: the entries it links
    to, then the other entries from its source section, in file order."""
    linked = list(knowledge.related(entry))
    same_source = [
        e
        for e in knowledge.entries
        if entry.source and e.source == entry.source and e.id != entry.id
    ]
    return list({e.id: e for e in (*linked, *same_source)}.values())


def more_about(
    knowledge: Knowledge, entry_id: str, shown: Sequence[str]
) -> Reply | None:
    """The next entry to show about `entry_id`, past those `shown`; None
    when there is nothing more (or the entry is gone after a reload)."""
    entry = knowledge.by_id.get(entry_id)
    if entry is None:
        return None
    seen = {entry_id, *shown}
    for candidate in next_entries(knowledge, entry):
        if candidate.id not in seen:
            reply = entry_reply(knowledge, candidate)
            return _with_lead(reply, f"More on {entry.title}:")
    return None


def nothing_more(knowledge: Knowledge, entry_id: str) -> str:
    entry = knowledge.by_id.get(entry_id)
    title = entry.title if entry else "that"
    return f"That's everything I have on {title}. Ask me something else!"


def nothing_yet(suggested: bool) -> str:
    """ "tell me more" before any answer, or after a "did you mean" or an
    "I don't know": there is no topic to go on with."""
    if suggested:
        return (
            "I haven't answered anything here yet, so there's nothing to go on "
            "with: pick one of the entries above, or ask in other words."
        )
    return (
        "There's no answer here yet to say more about: ask me a question about "
        "the STPM role."
    )


def _with_lead(reply: Reply, lead: str) -> Reply:
    return replace(reply, lead=lead)
