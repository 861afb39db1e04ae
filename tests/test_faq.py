"""One path for every question: the answer, its log line, its count."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from bot.answers import asking as faq
from bot.answers.replies import reply_for
from bot.compose import Services
from bot.search.retriever import Retriever, RetrieverConfig
from bot.store.database import Store
from bot.store.engine import engine_for, hash_user


def test_answer_is_the_reply_both_front_ends_show(services: Services) -> None:
    """`answer` gives exactly the reply built from the retriever's result."""
    question = "how important is cybersecurity for an stpm"
    expected = reply_for(
        services.knowledge,
        services.retriever.ask(question),
        services.settings.human_contact,
    )

    assert faq.answer(services, question) == expected


def test_an_answer_logs_one_faq_answered_event(services: Services) -> None:
    """One canonical log line per question: entry, score and latency."""
    with capture_logs() as logs:
        reply = faq.answer(services, "how important is cybersecurity for an stpm")

    assert [e["event"] for e in logs] == ["faq.answered"]
    assert logs[0]["entry"] == reply.entry_id == "skill-cybersecurity"
    assert logs[0]["score"] == reply.score
    assert logs[0]["latency_ms"] >= 0


def test_an_off_topic_question_logs_no_match(services: Services) -> None:
    """No answer: `faq.no_match` still names the nearest candidate, if any."""
    with capture_logs() as logs:
        reply = faq.answer(services, "xyzzy plugh frobnicate")

    assert reply.kind == "no_match"
    assert [e["event"] for e in logs] == ["faq.no_match"]
    assert {"entry", "score", "latency_ms"} <= set(logs[0])


def test_an_unsure_question_logs_the_best_suggestion(services: Services) -> None:
    """When the bot only suggests, `faq.suggested` names the first suggestion."""
    unsure = RetrieverConfig(answer_threshold=101, suggest_threshold=1)  # > max
    shy = services.replace(retriever=Retriever(services.knowledge, unsure))
    with capture_logs() as logs:
        reply = faq.answer(shy, "cloud computing")

    assert reply.kind == "suggestions"
    assert logs[0]["event"] == "faq.suggested"
    assert logs[0]["entry"] == reply.suggestions[0].id


def test_json_carries_answers_with_their_related_entries(services: Services) -> None:
    """The `ask --json` object: question, answers with related, suggestions."""
    question = "how important is cybersecurity for an stpm"
    data = faq.as_json(services.knowledge, services.retriever.ask(question))
    best = data["answers"][0]

    assert set(data) == {"question", "answers", "suggestions"}
    assert data["question"] == question
    assert set(best) == {"id", "title", "text", "score", "related"}
    assert best["id"] == "skill-cybersecurity"
    assert {
        "id": "technical-skills",
        "title": "Technical skills and their importance",
    } in best["related"]


@pytest.fixture
def counted(services: Services) -> Iterator[Services]:
    """The same services with an in-memory store, as every front end has."""
    store = Store(engine_for("sqlite://"))
    store.create_schema()
    yield services.replace(store=store)
    store.close()


def test_every_question_is_counted_and_gaps_are_kept(counted: Services) -> None:
    """Answered: counted only. Unsure or no match: kept with the candidates."""
    unsure = RetrieverConfig(answer_threshold=101, suggest_threshold=1)
    shy = counted.replace(retriever=Retriever(counted.knowledge, unsure))
    faq.answer(counted, "how important is cybersecurity for an stpm", "U1")
    faq.answer(shy, "cloud computing", "U1")
    faq.answer(counted, "xyzzy plugh frobnicate")
    assert counted.store is not None
    assert {"answered": 1, "suggested": 1, "no_match": 1} == (
        counted.store.question_counts()
    )
    suggested, no_match = counted.store.gaps()
    assert ("cloud computing", "suggested", hash_user("U1")) == (
        suggested.question,
        suggested.source,
        suggested.user_hash,
    )
    assert "skill-cloud" == suggested.candidates[0].entry_id
    assert ("no_match", None) == (no_match.source, no_match.user_hash)


def test_a_broken_store_costs_no_answer(services: Services) -> None:
    """A store that can't write (no schema here) logs a warning; the reply stands."""
    store = Store(engine_for("sqlite://"))
    broken = services.replace(store=store)
    with capture_logs() as logs:
        reply = faq.answer(broken, "how important is cybersecurity for an stpm")
    store.close()
    assert "skill-cybersecurity" == reply.entry_id
    assert "faq.record_failed" in [e["event"] for e in logs]
