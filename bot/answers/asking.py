"""Answer one question, log its one canonical line and count it.

Both front ends ask an `Answerer`, so the terminal chat and the Slack app give
the same answer and log the same event: `faq.answered`, `faq.suggested`,
`faq.no_match` or, for a message that asks nothing ("thanks!"),
`faq.small_talk`, with the entry, its score and the latency. Every question is
counted in the question log; one without a confident answer is kept there,
with its best candidates, for `stpm-bot report`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import structlog
from sqlalchemy.exc import SQLAlchemyError

from bot.answers.followup import parts
from bot.answers.replies import Reply, reply_for
from bot.knowledge.models import Entry, Knowledge
from bot.metrics import Counted, Metrics
from bot.search.library import Library, Snapshot
from bot.search.retriever import Outcome, Result, Retriever
from bot.store.records import Candidate
from bot.text.markup import focus, is_greeting, readable, small_talk
from bot.text.reference import Kind

LOGGED_QUESTION_CHARS = 200
RECORDED_CANDIDATES = 3  # how many near matches a gap keeps for the report


class QuestionLog(Protocol):
    """Where questions are counted (the store; nowhere without one)."""

    def record_question(
        self,
        question: str,
        status: Outcome,
        candidates: Sequence[Candidate],
        user_id: str | None = None,
    ) -> None: ...


class NoQuestionLog:
    """Counts nothing: the terminal commands when the store can't be opened."""

    def record_question(
        self,
        question: str,
        status: Outcome,
        candidates: Sequence[Candidate],
        user_id: str | None = None,
    ) -> None:
        return None


@dataclass(frozen=True)
class Asked:
    """A question's result and the knowledge version it was ranked on;
    `also`: the answers to the other parts of a question in two parts, or
    to the other skills it names (`in_parts` False: one question about two
    skills, "how important are cloud and security")."""

    snapshot: Snapshot
    result: Result
    seconds: float
    also: tuple[Result, ...] = ()
    in_parts: bool = False

    @property
    def knowledge(self) -> Knowledge:
        return self.snapshot.knowledge

    @property
    def nearest(self) -> tuple[Candidate, ...]:
        """The best-ranked entries whatever the outcome (what a 👎 keeps)."""
        ranked = self.result.ranked[:RECORDED_CANDIDATES]
        return tuple(Candidate(m.entry.id, m.score) for m in ranked)

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        """What the bot showed, best first; for no match, what nearly matched."""
        result = self.result
        shown = result.answers or result.suggestions or result.ranked
        return tuple(
            Candidate(m.entry.id, m.score) for m in shown[:RECORDED_CANDIDATES]
        )


class Answerer:
    """The one way a question becomes a reply, wherever it was asked."""

    def __init__(
        self,
        library: Library,
        questions: QuestionLog,
        metrics: Metrics,
        human_contact: str = "",
    ) -> None:
        self.library = library
        self.questions = questions
        self.metrics = metrics
        self.human_contact = human_contact

    def retrieve(self, question: str) -> Asked:
        """Rank `question` on the current snapshot; counts nothing. A question
        in parts gets an answer for each part that has a confident one."""
        start = time.perf_counter()
        question = readable(question)
        snapshot = self.library.snapshot()
        result = snapshot.retriever.ask(question)
        also: tuple[Result, ...] = ()
        pieces = parts(focus(question, snapshot.retriever.config.max_question_chars))
        # A question about this company (or a person, a moment) stays whole:
        # its parts ("at this company, what do stpms do and ...") lose the
        # words that made it one, and would each be answered as general ones.
        # A figure is one part's ("what does an stpm do and how much do they
        # make"): each part is judged on its own.
        if len(pieces) > 1 and not _of_the_whole(result.particular):
            result, also = _each_part(snapshot.retriever, result, pieces)
        in_parts = bool(also)
        if not also:
            result, also = _each_named(result, question)
        seconds = time.perf_counter() - start
        return Asked(snapshot, result, seconds, also, in_parts)

    def settle(self, asked: Asked, user: str | None = None) -> Asked:
        """Log, count and record a retrieved question (`user` only as a hash)."""
        result = asked.result
        counted = _counted(result)
        self.metrics.question(counted, asked.seconds)
        candidates = asked.candidates
        _log(counted, result, candidates[0] if candidates else None, asked.seconds)
        if result.status != "empty":
            try:
                self.questions.record_question(
                    result.question, result.status, candidates, user
                )
            except SQLAlchemyError as error:  # counting must never cost an answer
                structlog.get_logger().warning(
                    "faq.record_failed", error=str(error)[:200]
                )
        return asked

    def lookup(self, question: str, user: str | None = None) -> Asked:
        """The retriever's result for `question`, logged as one `faq.*` event."""
        return self.settle(self.retrieve(question), user)

    def reply(self, asked: Asked) -> Reply:
        """What the bot says, from the snapshot the question was ranked on."""
        main = reply_for(asked.knowledge, asked.result, self.human_contact)
        if not asked.also:
            return main
        also = tuple(reply_for(asked.knowledge, r) for r in asked.also)
        return replace(main, also=also)

    def answer(self, question: str, user: str | None = None) -> Reply:
        """What the bot says to `question`, wherever it says it."""
        return self.reply(self.lookup(question, user))


def _each_part(
    retriever: Retriever, whole: Result, pieces: list[str]
) -> tuple[Result, tuple[Result, ...]]:
    """The main result and the other parts' answers, when at least two parts
    are answered by different entries; else the whole question's result."""
    subject = retriever.subject(pieces[0])
    answered = []
    for i, piece in enumerate(pieces):
        result = retriever.ask(piece)
        if result.best is None and i and subject:
            # "...and how do they stay current?": "they" is the first part's subject.
            result = replace(retriever.ask(f"{piece} {subject}"), question=piece)
        if result.best is not None:
            answered.append(result)
    distinct = list({r.best.entry.id: r for r in answered if r.best}.values())
    # Judged whole: a part's entry that can't answer what the whole question
    # asks about this company (or a person, a moment) answers no part of it.
    local = any(
        _of_the_whole(retriever.particular(whole.question, r.best.entry))
        for r in distinct
        if r.best
    )
    if len(distinct) < 2 or local:
        return whole, ()
    main = replace(distinct[0], question=whole.question, truncated=whole.truncated)
    return main, tuple(distinct[1:])


def _each_named(result: Result, question: str) -> tuple[Result, tuple[Result, ...]]:
    """ "how important are cloud and security for a tpm": when the question
    names the skills of two or more of its confident answers (by name or
    alias), the first is the answer and each other one is shown in full
    too, under its own name, as a question in parts is; else as it was."""
    if result.status != "answered" or len(result.answers) < 2:
        return result, ()
    lowered = question.lower()
    named = [m for m in result.answers if _names_skill(m.entry, lowered)]
    if len(named) < 2 or named[0] is not result.answers[0]:
        return result, ()
    rest = tuple(m for m in result.answers if m not in named[1:])
    also = tuple(
        Result(m.entry.skill.name if m.entry.skill else m.entry.title, "answered", (m,))
        for m in named[1:]
    )
    return replace(result, answers=rest), also


def _names_skill(entry: Entry, lowered: str) -> bool:
    """`lowered` (a question, lower-cased) says the entry's skill's name or
    one of its aliases, as words of their own."""
    if entry.skill is None:
        return False
    return any(
        re.search(rf"(?<![\w/]){re.escape(name.lower())}(?![\w/])", lowered)
        for name in (entry.skill.name, *entry.skill.aliases)
    )


def _of_the_whole(kinds: tuple[Kind, ...]) -> bool:
    """What a question asks about this company, a person or a moment, which
    holds for each of its parts; not a figure or a topic (credentials,
    hiring, the next level, other jobs, working conditions) one part asks
    about."""
    return any(k in ("organisation", "person", "time") for k in kinds)


def _counted(result: Result) -> Counted:
    if result.status != "empty":
        return result.status
    said = result.question
    if small_talk(said) or (said.strip() and is_greeting(said)):
        return "small_talk"  # "thanks!", "hi": no question the knowledge missed
    return "no_match"


def _log(
    counted: Counted, result: Result, best: Candidate | None, seconds: float
) -> None:
    structlog.get_logger().info(
        f"faq.{counted}",
        status=result.status,
        entry=best.entry_id if best else None,
        score=best.score if best else 0.0,
        latency_ms=round(seconds * 1000, 2),
        suggestions=[m.entry.id for m in result.suggestions],
        question=result.question[:LOGGED_QUESTION_CHARS],
        truncated=result.truncated,
    )


def _link(entry: Entry) -> dict[str, str]:
    return {"id": entry.id, "title": entry.title}


def as_json(asked: Asked) -> dict[str, Any]:
    """The `ask --json` contract: answers best first, empty when not confident;
    what became of the question; what it asks that the knowledge can only
    answer in general (`bot.text.reference` kinds, e.g. "figure"); for a
    question in parts, the other parts' answers, each under its own words."""
    knowledge, result = asked.knowledge, asked.result

    def answers(found: Result) -> list[dict[str, Any]]:
        return [
            {
                "id": m.entry.id,
                "title": m.entry.title,
                "text": m.entry.answer.strip(),
                "score": m.score,
                "related": [_link(e) for e in knowledge.related(m.entry)],
            }
            for m in found.answers
        ]

    return {
        "question": result.question,
        "outcome": result.status,
        "general_only": list(result.particular),
        "answers": answers(result),
        "suggestions": [_link(m.entry) for m in result.suggestions],
        "parts": [
            {"question": part.question, "answers": answers(part)} for part in asked.also
        ],
    }
