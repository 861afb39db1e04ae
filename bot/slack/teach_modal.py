"""The teaching modal: the question, an entry picker within Slack's limits,
the fields of a new entry; and what its buttons carry (`TeachValue`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.knowledge.models import Entry, Knowledge
from bot.slack import blocks
from bot.store.teaching import NEW_ENTRY, PHRASING
from bot.text.markup import echo, inert, shorten, unescape

MAX_OPTIONS = 100  # Slack's limit for a select's options (and for a suggestion)
ANSWER_CHARS = 3000  # a plain_text_input holds at most 3000 characters
QUESTION_CHARS = 500
VALUE_CHARS = 2000  # a button's value
VALUE_QUESTION_CHARS = 300  # even if every one is an "&amp;", it fits


@dataclass(frozen=True)
class TeachValue:
    """What the modal is about: the question, and the expert question it
    came from (0: the digest)."""

    question: str
    expert: int = 0

    def encode(self) -> str:
        """At most a button value's 2,000 characters. Escaped like text shown:
        a value holding `<!channel>` is never mistaken for one, wherever the
        payload is looked at."""
        for limit in (QUESTION_CHARS, VALUE_QUESTION_CHARS):
            data = {"q": inert(self.question[:limit]), "x": self.expert}
            encoded = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
            if len(encoded) <= VALUE_CHARS:
                break
        return encoded

    @classmethod
    def decode(cls, value: str) -> TeachValue | None:
        try:
            data = json.loads(value)
            question = unescape(str(data["q"]))[:QUESTION_CHARS]
            return cls(question, int(data.get("x") or 0))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def _option(entry: Entry) -> Option:
    return Option(text=shorten(f"{entry.title} ({entry.id})", 75), value=entry.id)


def entry_options(knowledge: Knowledge, query: str) -> list[Option]:
    """Up to 100 entries whose id or title holds every word of `query`."""
    words = query.casefold().split()
    found = [
        e
        for e in knowledge.entries
        if all(w in f"{e.id} {e.title}".casefold() for w in words)
    ]
    return [_option(e) for e in found[:MAX_OPTIONS]]


def _picker(knowledge: Knowledge, nearest: str) -> Any:
    """A static menu of every entry while Slack's 100-option limit allows,
    else a menu that asks the app as the curator types."""
    entry = knowledge.by_id.get(nearest)
    initial = _option(entry) if entry is not None else None
    placeholder = PlainTextObject(text="Find an entry")
    if len(knowledge.entries) <= MAX_OPTIONS:
        return StaticSelectElement(
            action_id=blocks.TEACH_ENTRY,
            placeholder=placeholder,
            options=[_option(e) for e in knowledge.entries],
            initial_option=initial,
        )
    return ExternalDataSelectElement(
        action_id=blocks.TEACH_ENTRY,
        placeholder=placeholder,
        initial_option=initial,
        min_query_length=1,
    )


def _text_input(block_id: str, label: str, **element: Any) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        optional=True,
        label=PlainTextObject(text=label),
        element=PlainTextInputElement(action_id="value", **element),
    )


def teach_modal(
    value: TeachValue, knowledge: Knowledge, *, answer: str = "", nearest: str = ""
) -> View:
    """The modal: the question, what to do with it, an entry or a new entry."""
    kinds = [
        Option(text="Add it to an existing entry as a phrasing", value=PHRASING),
        Option(text="Draft a new entry that answers it", value=NEW_ENTRY),
    ]
    content: list[Block] = [
        SectionBlock(
            text=blocks.verbatim(
                f"*The question*\n>{echo(value.question, QUESTION_CHARS)}"
            )
        ),
        InputBlock(
            block_id="kind",
            label=PlainTextObject(text="Teach it as"),
            element=RadioButtonsElement(
                action_id="choice",
                options=kinds,
                initial_option=kinds[1] if answer else kinds[0],
            ),
        ),
        InputBlock(
            block_id="entry",
            optional=True,
            label=PlainTextObject(text="Existing entry"),
            element=_picker(knowledge, nearest),
        ),
        ContextBlock(
            elements=[MarkdownTextObject(text="*Or a new entry* (id, title, answer):")]
        ),
        _text_input("new_id", "New entry's id", max_length=80),
        _text_input("new_title", "Title", max_length=150),
        _text_input(
            "new_answer",
            "Answer",
            multiline=True,
            max_length=ANSWER_CHARS,
            initial_value=answer[:ANSWER_CHARS] or None,
        ),
    ]
    return View(
        type="modal",
        callback_id=blocks.TEACH_VIEW,
        private_metadata=value.encode(),
        title=PlainTextObject(text="Teach the bot"),
        submit=PlainTextObject(text="Save as pending"),
        close=PlainTextObject(text="Cancel"),
        blocks=content,
    )
