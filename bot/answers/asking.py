"""Answer one question, log its one canonical line and count it.

Both front ends call `answer` (or `lookup` when they need the scores), so the
terminal chat and the Slack app give the same answer and log the same event:
`faq.answered`, `faq.suggested` or `faq.no_match`, with the entry, its score
and the latency. With a store, every question is counted and one without a
confident answer is kept, with its best candidates, for `stpm-bot report`.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from bot.answers.replies import Reply, reply_for
from bot.compose import Services
from bot.knowledge.models import Entry, Knowledge
from bot.metrics import Outcome
from bot.search.retriever import Result, Retriever
from bot.store.records import Candidate

LOGGED_QUESTION_CHARS = 200
CANDIDATES = 3


def lookup(services: Services, question: str, user: str | None = None) -> Result:
    """The retriever's result for `question`, logged as one `faq.*` event.

    `user` (a Slack user id; None in the terminal) is stored only as a hash.
    """
    start = time.perf_counter()
    _, retriever = services.snapshot()
    result = retriever.ask(question)
    seconds = time.perf_counter() - start
    latency_ms = round(seconds * 1000, 2)
    services.metrics.question(_outcome(result), seconds)
    candidates = _candidates(retriever, result)
    _log(result, candidates[0] if candidates else None, latency_ms)
    _record(services, result, candidates, user)
    return result


def answer(services: Services, question: str, user: str | None = None) -> Reply:
    """What the bot says to `question`, wherever it says it."""
    result = lookup(services, question, user)
    return reply_for(services.knowledge, result, services.settings.human_contact)


def candidates_for(retriever: Retriever, question: str) -> tuple[Candidate, ...]:
    """The entries that best match `question` now, with their scores."""
    ranked = retriever.rank(question, limit=CANDIDATES)
    return tuple(Candidate(m.entry.id, m.score) for m in ranked)


def _candidates(retriever: Retriever, result: Result) -> tuple[Candidate, ...]:
    """What the bot showed, best first; for no match, what nearly matched."""
    shown = result.answers or result.suggestions
    if shown:
        return tuple(Candidate(m.entry.id, m.score) for m in shown[:CANDIDATES])
    if result.status == "no_match":
        return candidates_for(retriever, result.question)
    return ()


def _record(
    services: Services,
    result: Result,
    candidates: tuple[Candidate, ...],
    user: str | None,
) -> None:
    if services.store is None or result.status == "empty":
        return
    try:
        services.store.record_question(result.question, result.status, candidates, user)
    except SQLAlchemyError as error:  # counting must never cost an answer
        structlog.get_logger().warning("faq.record_failed", error=str(error)[:200])


def _outcome(result: Result) -> Outcome:
    """An empty question counts, and is logged, as no match."""
    if result.status == "answered" or result.status == "suggested":
        return result.status
    return "no_match"


def _log(result: Result, best: Candidate | None, latency_ms: float) -> None:
    event = f"faq.{_outcome(result)}"
    structlog.get_logger().info(
        event,
        status=result.status,
        entry=best.entry_id if best else None,
        score=best.score if best else 0.0,
        latency_ms=latency_ms,
        suggestions=[m.entry.id for m in result.suggestions],
        question=result.question[:LOGGED_QUESTION_CHARS],
        truncated=result.truncated,
    )


def _link(entry: Entry) -> dict[str, str]:
    return {"id": entry.id, "title": entry.title}


def as_json(knowledge: Knowledge, result: Result) -> dict[str, Any]:
    """The `ask --json` contract: answers best first, empty when not confident."""
    return {
        "question": result.question,
        "answers": [
            {
                "id": m.entry.id,
                "title": m.entry.title,
                "text": m.entry.answer.strip(),
                "score": m.score,
                "related": [_link(e) for e in knowledge.related(m.entry)],
            }
            for m in result.answers
        ],
        "suggestions": [_link(m.entry) for m in result.suggestions],
    }
