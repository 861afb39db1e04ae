"""Teach the bot: from the gap digest's *Teach* or the experts' *Add to
knowledge*, a curator opens a modal to add the question to an existing entry
as a phrasing, or to draft a new entry (prefilled with the expert's reply).

A submission is checked while Slack waits (`response_action: errors` names
the field: an unknown entry, a taken id, an empty answer, a mention the
loader would refuse) and kept as a pending change in the store;
`stpm-bot knowledge apply` writes it into the knowledge files.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import ValidationError
from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.knowledge.models import Entry, Knowledge
from bot.slack import blocks, curators
from bot.slack.client import quick_client
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen
from bot.slack.posting import UnknownIfPosted, post_reply
from bot.slack.teach_modal import TeachValue, entry_options, teach_modal
from bot.store.teaching import CLAIMED, NEW_ENTRY, PHRASING
from bot.text.markup import echo, live_mentions, shorten
from bot.text.normalize import normalize

Body = dict[str, Any]
# A submission is answered in its ack; the membership look-up gets this much
# of Slack's 3 s, so a slow Slack refuses the submission instead of the ack
# coming too late (Slack then shows its own error and the change is lost).
SUBMIT_LOOKUP_SECONDS = 2
COULD_NOT_CHECK = "I couldn't check that you are a curator just now; try again."


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


def phrasings(knowledge: Knowledge) -> dict[str, str]:
    """Each phrasing (normalized) and its entry: the loader refuses one
    question under two entries."""
    found: dict[str, str] = {}
    for entry in knowledge.entries:
        for q in entry.questions:
            found.setdefault(normalize(q).text, entry.id)
    return found


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
    known: dict[str, str] | None = None,
    waiting: dict[str, str] | None = None,
) -> tuple[Lesson | None, dict[str, str]]:
    """The change a submission asks for, or the errors to show by field;
    `taken`: ids of new entries already pending; `known`: `phrasings`;
    `waiting`: the pending changes' questions (as `phrasings` keys them) and
    their entries."""
    kind = _chosen(values, "kind", "choice") or PHRASING
    known = phrasings(knowledge) if known is None else known
    said = normalize(question).text
    already = known.get(said)
    if already:
        return None, {
            "kind": f"“{shorten(question, 60)}” is already under '{already}'."
        }
    pending = (waiting or {}).get(said)
    if pending:
        # Applied twice, the files would hold it twice, and the loader
        # refuses a phrasing under two entries: the second change would
        # stay pending for good.
        return None, {
            "kind": f"“{shorten(question, 60)}” is already taught, pending for "
            f"'{pending}'."
        }
    if kind == NEW_ENTRY:
        return _new_entry(values, question, knowledge, taken)
    entry_id = _chosen(values, "entry", blocks.TEACH_ENTRY)
    if not entry_id:
        return None, {"entry": "Pick the entry that answers the question."}
    if entry_id not in knowledge.by_id:
        return None, {"entry": f"There is no entry '{entry_id}' any more."}
    return Lesson(PHRASING, entry_id), {}


TAUGHT_JUST_NOW = (
    "Someone taught this question just now; see `stpm-bot knowledge pending`."
)


class Teaching(Listeners):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        # The last knowledge's phrasings: a submission is checked while Slack
        # waits (3 s at most), so they are made when the modal opens.
        self._known: tuple[Knowledge, dict[str, str]] | None = None

    def _phrasings(self, knowledge: Knowledge) -> dict[str, str]:
        known = self._known
        if known is None or known[0] is not knowledge:
            known = self._known = (knowledge, phrasings(knowledge))
        return known[1]

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
        try:
            curator = curators.is_curator(client, self.deps.settings, user)
        except curators.CannotTell:  # busy, failing or away: logged there
            respond(
                response_type="ephemeral",
                replace_original=False,
                text=COULD_NOT_CHECK,
            )
            return
        if not curator:
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
        knowledge = self.deps.knowledge
        self._phrasings(knowledge)  # ready before the submission needs it
        view = teach_modal(
            value,
            knowledge,
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
        refused = self._not_curator(client, user)
        if refused:
            ack(response_action="errors", errors={"kind": refused})
            return
        store = self.deps.store
        try:
            # Pending, or being applied right now (not in the files yet).
            waiting = store.changes() + store.changes(CLAIMED)
            taken = [c.entry_id for c in waiting if c.kind == NEW_ENTRY]
            knowledge = self.deps.knowledge
            lesson, errors = check_submission(
                values,
                value.question,
                knowledge,
                taken,
                self._phrasings(knowledge),
                {normalize(c.question).text: c.entry_id for c in waiting},
            )
            # Two curators submitting it at the same moment both pass the
            # check above: one claim per question lets only one keep it.
            once = f"teach:{normalize(value.question).text}"[:200]
            if lesson is not None and not store.claim([once]):
                lesson, errors = None, {"kind": TAUGHT_JUST_NOW}
            if lesson is not None:
                try:
                    store.teach(
                        lesson.kind,
                        lesson.entry_id,
                        value.question,
                        user,
                        title=lesson.title,
                        answer=lesson.answer,
                    )
                except SQLAlchemyError:
                    store.release([once])
                    raise
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

    def _not_curator(self, client: WebClient, user: str) -> str:
        """Why `user` may not submit now ("" if they may): membership is
        asked again, since the modal may have stayed open while they were
        removed from the curators."""
        settings = self.deps.settings
        try:
            quick = quick_client(client, SUBMIT_LOOKUP_SECONDS)
            if curators.is_curator(quick, settings, user):
                return ""
        except curators.CannotTell:  # busy, failing or away: logged there
            return COULD_NOT_CHECK
        structlog.get_logger().info("teach.refused", reason="not_a_curator")
        who = curators.who(settings)
        return f"Only curators ({who}) can teach the bot; you are not one any more."

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
            "`stpm-bot knowledge apply`.",
            echoes=True,
        )
        # Once: looked for in the DM after a reset or a timeout.
        digest = hashlib.sha256(value.question.encode()).hexdigest()[:16]
        key = f"taught:{user}:{lesson.entry_id}:{digest}"
        since = f"{time.time() - 60:.6f}"
        try:
            post_reply(
                client,
                key,
                channel=user,
                thread_ts=None,
                since=since,
                **note.as_kwargs(),
            )
        except (SlackApiError, OSError, UnknownIfPosted) as error:  # change kept
            code = (
                error.response.get("error")
                if isinstance(error, SlackApiError)
                else type(error).__name__
            )
            structlog.get_logger().warning("teach.confirm_failed", slack_error=code)


def register(app: App, deps: Deps) -> None:
    teaching = Teaching(deps)
    for action in (blocks.TEACH_GAP_ACTION, blocks.TEACH_EXPERT):
        listen(app.action(action), teaching.open, deps.executor, deps.gate)
    # Both answer in the ack itself (options, or errors), so they run on the
    # request's thread; each is a look-up and at most one insert.
    options: Callable[..., None] = teaching.options
    app.options(blocks.TEACH_ENTRY)(options)
    app.view(blocks.TEACH_VIEW)(teaching.submitted)
