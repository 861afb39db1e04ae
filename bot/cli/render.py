"""The terminal's rendering of what the bot says: the same `Reply` Slack shows
as Block Kit, as plain text. Related entries and suggestions carry their id,
which the chat opens with `/show ID` (or `/ID`)."""

from __future__ import annotations

import datetime as dt

from bot.answers.replies import ASK_A_PERSON, EXAMPLES, RELATED_READS, Link, Reply
from bot.knowledge.models import Entry, Knowledge, Tip
from bot.search.skills import format_skill
from bot.text.markup import plain

HELP = """\
Ask a question in plain words, e.g. "what does a senior tpm do?"
Commands:
  /skill NAME   how important a technical skill is (/skill alone: the table)
  /tip          today's tip
  /show ID      open an entry, e.g. /show skill-cloud (or just /skill-cloud)
  more          more on the last answer (also "tell me more", "why?")
  1, 2, 3       open a "Did you mean" suggestion by its number
  help          this help
  quit          leave (or exit, or Ctrl-D)"""


def link(item: Link) -> str:
    return f"{item.title} (/{item.id})"


def _answer(reply: Reply) -> list[str]:
    lines = [reply.lead, reply.title, plain(reply.text)]
    if reply.source:
        lines.append(f"Source: {reply.source}")
    if reply.related:
        lines.append("Related: " + " · ".join(link(r) for r in reply.related))
    for part in reply.also:
        lines += [f"Also, on “{part.question}”:", *_answer(part)]
    return lines


def _suggestions(reply: Reply) -> list[str]:
    numbered = " ".join(f"{i}) {link(s)}" for i, s in enumerate(reply.suggestions, 1))
    if reply.general_only:
        return [
            reply.general_only,
            f"{RELATED_READS} {numbered}",
            "Type a number or the /id to open one.",
            ASK_A_PERSON.format(reply.human_contact) if reply.human_contact else "",
        ]
    return [
        "I'm not sure I understood.",
        f"Did you mean: {numbered}",
        "Type a number or the /id to open one.",
    ]


def _no_match(reply: Reply) -> list[str]:
    lines = ["Sorry, I don't have an answer to that."]
    if reply.topics:
        lines.append("I can answer questions about:")
        lines += [f"  • {t}" for t in reply.topics]
    if reply.human_contact:
        lines.append(f"For anything else, ask {reply.human_contact}.")
    return lines


def _empty(reply: Reply) -> list[str]:
    if reply.closing:
        return [reply.text]
    return [reply.text, "For example:", *(f"  • {q}" for q in EXAMPLES)]


def render(reply: Reply) -> str:
    """The reply as text for a terminal."""
    lines = {
        "answered": _answer,
        "suggested": _suggestions,
        "no_match": _no_match,
        "empty": _empty,
    }[reply.outcome](reply)
    return "\n".join(line for line in lines if line)


def render_tip(knowledge: Knowledge, tip: Tip, date: dt.date) -> str:
    lines = [f"Tip for {date.isoformat()}: {plain(tip.text)}"]
    related = knowledge.by_id.get(tip.related or "")
    if related is not None:
        lines.append(f"More: {related.title} (/{related.id})")
    return "\n".join(lines)


def render_skills(skills: tuple[Entry, ...]) -> str:
    if not skills:
        return "There are no skills in the knowledge."
    return "\n".join(format_skill(e) for e in skills)


def skill_not_found(name: str, suggestions: tuple[str, ...]) -> str:
    if not suggestions:
        return f"No skill called {name!r}; there are no skills in the knowledge."
    if not name.strip():
        return "Which skill? Known skills: " + ", ".join(suggestions) + "."
    return f"No skill called {name!r}. Did you mean: {', '.join(suggestions)}?"
