"""Answer one question and log its one canonical line.

Both front ends call `answer` (or `lookup` when they need the scores), so the
terminal chat and the Slack app give the same answer and log the same event:
`faq.answered`, `faq.suggested` or `faq.no_match`, with the entry, its score
and the latency.
"""

from __future__ import annotations

import time
from typing import Any

import structlog

from bot.app import Services
from bot.knowledge import Entry, Knowledge
from bot.replies import Reply, reply_for
from bot.retriever import Match, Result

LOGGED_QUESTION_CHARS = 200


def lookup(services: Services, question: str) -> Result:
    """The retriever's result for `question`, logged as one `faq.*` event."""
    start = time.perf_counter()
    result = services.retriever.ask(question)
    latency_ms = round((time.perf_counter() - start) * 1000, 2)
    _log(services, result, latency_ms)
    return result


def answer(services: Services, question: str) -> Reply:
    """What the bot says to `question`, wherever it says it."""
    result = lookup(services, question)
    return reply_for(services.knowledge, result, services.settings.human_contact)


def _log(services: Services, result: Result, latency_ms: float) -> None:
    best: Match | None
    if result.best is not None:
        event, best = "faq.answered", result.best
    elif result.suggestions:
        event, best = "faq.suggested", result.suggestions[0]
    else:
        # Not confident enough to suggest: name the best candidate anyway, so
        # a curator can see what nearly matched.
        event = "faq.no_match"
        ranked = services.retriever.rank(result.question, limit=1)
        best = ranked[0] if ranked else None
    structlog.get_logger().info(
        event,
        status=result.status,
        entry=best.entry.id if best else None,
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
