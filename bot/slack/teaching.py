"""Teach the bot: from the gap digest's *Teach* or the experts' *Add to
knowledge*, a curator opens a modal to add the question to an existing entry
as a phrasing, or to draft a new entry (prefilled with the expert's reply).

A submission is checked while Slack waits (`response_action: errors` names
the field: an unknown entry, a taken id, an empty answer, a mention the
loader would refuse) and kept as a pending change in the store;
`stpm-bot knowledge apply` writes it into the knowledge files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import ValidationError
from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
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
from sqlalchemy.exc import SQLAlchemyError

from bot.knowledge.models import Entry, Knowledge
from bot.slack import blocks, curators
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen
from bot.store.teaching import NEW_ENTRY, PHRASING
from bot.text.markup import echo, inert, live_mentions, shorten, unescape
from bot.text.normalize import normalize

Body = dict[str, Any]
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
            return cls(unescape(str(data["q"])), int(data.get("x") or 0))
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
            text=MarkdownTextObject(
                text=f"*The question*\n>{echo(value.question, QUESTION_CHARS)}"
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


@dataclass(frozen=True)
class Lesson:
    kind: str
    entry_id: str
    title: str | None = None
    answer: str | None = None


def _field(values: dict[str, Any], block: str) -> str:
    state = (values.get(block) or {}).get("value") or {}
    return str(state.get("value") or "").strip()


def _chosen(values: dict[str, Any], block: str, action: str) -> str:
    state = (values.get(block) or {}).get(action) or {}
    return str((state.get("selected_option") or {}).get("value") or "")


def _phrasing_of(knowledge: Knowledge, question: str) -> str | None:
    """The entry that already has `question` as a phrasing (the loader
    refuses one question under two entries)."""
    key = normalize(question).text
    for entry in knowledge.entries:
        if any(normalize(q).text == key for q in entry.questions):
            return entry.id
    return None


def _new_entry(
    values: dict[str, Any],
    question: str,
    knowledge: Knowledge,
    taken: Sequence[str],
) -> tuple[Lesson | None, dict[str, str]]:
    entry_id = _field(values, "new_id")
    title = _field(values, "new_title")
    answer = _field(values, "new_answer")
    errors: dict[str, str] = {}
    if not entry_id:
        errors["new_id"] = "Give the new entry an id, e.g. vpn-setup."
    elif entry_id in knowledge.by_id or entry_id in taken:
        errors["new_id"] = f"There is already an entry '{entry_id}' (or one pending)."
    if not title:
        errors["new_title"] = "Give the new entry a title."
    if not answer:
        errors["new_answer"] = "Write the answer."
    for block, text in (("new_title", title), ("new_answer", answer)):
        pings = live_mentions(text)
        if pings:
            errors[block] = f"{pings[0]} would notify people; write the words instead."
    if errors:
        return None, errors
    fields = {"id": entry_id, "title": title, "answer": answer}
    try:
        Entry.model_validate(fields | {"questions": [question]})
    except ValidationError as error:
        for problem in error.errors():
            block = {"id": "new_id", "title": "new_title"}.get(
                str(problem["loc"][0]) if problem["loc"] else "", "new_answer"
            )
            errors.setdefault(block, shorten(str(problem["msg"]), 150))
        return None, errors
    return Lesson(NEW_ENTRY, entry_id, title, answer), {}


def check_submission(
    values: dict[str, Any],
    question: str,
    knowledge: Knowledge,
    taken: Sequence[str] = (),
) -> tuple[Lesson | None, dict[str, str]]:
    """The change a submission asks for, or the errors to show by field;
    `taken`: ids of new entries already pending."""
    kind = _chosen(values, "kind", "choice") or PHRASING
    already = _phrasing_of(knowledge, question)
    if already:
        return None, {
            "kind": f"“{shorten(question, 60)}” is already under '{already}'."
        }
    if kind == NEW_ENTRY:
        return _new_entry(values, question, knowledge, taken)
    entry_id = _chosen(values, "entry", blocks.TEACH_ENTRY)
    if not entry_id:
        return None, {"entry": "Pick the entry that answers the question."}
    if entry_id not in knowledge.by_id:
        return None, {"entry": f"There is no entry '{entry_id}' any more."}
    return Lesson(PHRASING, entry_id), {}


class Teaching(Listeners):
    def open(
        self,
        body: Body,
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
        context: BoltContext,
    ) -> None:
        """*Teach* or *Add to knowledge*: the modal, for curators only."""
        bind(context, "teach")
        user = str((body.get("user") or {}).get("id", ""))
        if not curators.is_curator(client, self.deps.settings, user):
            who = curators.who(self.deps.settings)
            respond(
                response_type="ephemeral",
                replace_original=False,
                text=f"Only curators ({who}) can teach the bot.",
            )
            return
        value, answer = self._what(action)
        if value is None or not body.get("trigger_id"):
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="Sorry, that question is no longer available to teach.",
            )
            return
        nearest = self.deps.candidates(value.question)
        view = teach_modal(
            value,
            self.deps.knowledge,
            answer=answer,
            nearest=nearest[0].entry_id if nearest else "",
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def _what(self, action: dict[str, Any]) -> tuple[TeachValue | None, str]:
        """The question to teach and the expert's reply, if there is one."""
        if action.get("action_id") != blocks.TEACH_EXPERT:
            return TeachValue.decode(action.get("value", "")), ""
        try:
            asked = self.deps.store.expert_question(int(action.get("value", "")))
        except ValueError:
            return None, ""
        if asked is None:  # deleted by retention
            return None, ""
        return TeachValue(asked.question, asked.id), asked.reply or ""

    def options(self, ack: Ack, payload: dict[str, Any]) -> None:
        """The entry picker of a large knowledge: entries matching what the
        curator typed, at most Slack's 100."""
        found = entry_options(self.deps.knowledge, str(payload.get("value") or ""))
        ack(options=[o.to_dict() for o in found])

    def submitted(
        self, ack: Ack, body: Body, view: dict[str, Any], client: WebClient
    ) -> None:
        """Checked while Slack waits: errors by field, or kept as pending."""
        value = TeachValue.decode(view.get("private_metadata", ""))
        if value is None:
            ack()
            return
        values = (view.get("state") or {}).get("values") or {}
        user = str((body.get("user") or {}).get("id", ""))
        store = self.deps.store
        try:
            taken = [c.entry_id for c in store.changes() if c.kind == NEW_ENTRY]
            lesson, errors = check_submission(
                values, value.question, self.deps.knowledge, taken
            )
            if lesson is not None:
                store.teach(
                    lesson.kind,
                    lesson.entry_id,
                    value.question,
                    user,
                    title=lesson.title,
                    answer=lesson.answer,
                )
        except SQLAlchemyError:
            errors = {"kind": "I couldn't save this just now; please try again."}
            lesson = None
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        assert lesson is not None
        structlog.get_logger().info(
            "teach.pending", kind=lesson.kind, entry=lesson.entry_id
        )
        self.deps.executor.submit(self._confirm, client, user, lesson, value)

    def _confirm(
        self, client: WebClient, user: str, lesson: Lesson, value: TeachValue
    ) -> None:
        what = (
            f"add “{echo(value.question, 150)}” to `{lesson.entry_id}`"
            if lesson.kind == PHRASING
            else f"a new entry `{lesson.entry_id}` for “{echo(value.question, 150)}”"
        )
        note = blocks.notice(
            f"Saved as pending: {what}. It is served once someone runs "
            "`stpm-bot knowledge apply`."
        )
        try:
            client.chat_postMessage(channel=user, **note.as_kwargs())
        except SlackApiError as error:  # the change is kept; only the note is lost
            structlog.get_logger().warning(
                "teach.confirm_failed", slack_error=error.response.get("error")
            )


def register(app: App, deps: Deps) -> None:
    teaching = Teaching(deps)
    for action in (blocks.TEACH_GAP_ACTION, blocks.TEACH_EXPERT):
        listen(app.action(action), teaching.open, deps.executor, deps.gate)
    # Both answer in the ack itself (options, or errors), so they run on the
    # request's thread; each is a look-up and at most one insert.
    options: Callable[..., None] = teaching.options
    app.options(blocks.TEACH_ENTRY)(options)
    app.view(blocks.TEACH_VIEW)(teaching.submitted)
