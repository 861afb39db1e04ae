"""One path for every question: the answer, its log line, its count."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from bot.answers.asking import Answerer, as_json
from bot.answers.replies import CLOSINGS, EMPTY_PROMPT, reply_for
from bot.compose import Core
from bot.knowledge.models import Entry, Knowledge
from bot.metrics import Metrics
from bot.search.library import Library
from bot.search.retriever import Retriever, RetrieverConfig
from bot.store.database import Store
from bot.store.engine import engine_for
from tests.support.cli import ASK_JSON_KEYS
from tests.support.core import make_core

UNSURE = RetrieverConfig(answer_threshold=101, suggest_threshold=1)  # > max


def answerer_for(
    knowledge: Knowledge, store: Store, config: RetrieverConfig | None = None
) -> Answerer:
    library = Library(knowledge, lambda k: Retriever(k, config))
    return Answerer(library, store, Metrics(), "#stpm-guild")


def test_answer_is_the_reply_both_front_ends_show(core: Core) -> None:
    """`answer` gives exactly the reply built from the retriever's result."""
    question = "how important is cybersecurity for an stpm"
    snapshot = core.library.snapshot()
    expected = reply_for(
        snapshot.knowledge,
        snapshot.retriever.ask(question),
        core.settings.human_contact,
    )

    assert core.answerer.answer(question) == expected


def test_a_reply_comes_from_the_knowledge_it_was_ranked_on(core: Core) -> None:
    """A reload between ranking and replying doesn't mix two versions: the
    reply's text and related links are the version the question was ranked on."""
    library = Library(core.library.snapshot().knowledge, Retriever)
    answerer = Answerer(library, Store(engine_for("sqlite://")), Metrics())
    asked = answerer.retrieve("how important is cybersecurity for an stpm")
    library.swap(
        Knowledge.of([Entry(id="skill-cybersecurity", title="New", answer="New.")])
    )
    reply = answerer.reply(asked)

    assert ("Cybersecurity", True) == (reply.title, bool(reply.related))


def test_an_answer_logs_one_faq_answered_event(core: Core) -> None:
    """One canonical log line per question: entry, score and latency."""
    with capture_logs() as logs:
        reply = core.answerer.answer("how important is cybersecurity for an stpm")

    assert [e["event"] for e in logs] == ["faq.answered"]
    assert logs[0]["entry"] == reply.entry_id == "skill-cybersecurity"
    assert logs[0]["score"] == reply.score
    assert logs[0]["latency_ms"] >= 0


def test_an_off_topic_question_logs_no_match(core: Core) -> None:
    """No answer: `faq.no_match` still names the nearest candidate, if any."""
    with capture_logs() as logs:
        reply = core.answerer.answer("xyzzy plugh frobnicate")

    assert reply.outcome == "no_match"
    assert [e["event"] for e in logs] == ["faq.no_match"]
    assert {"entry", "score", "latency_ms"} <= set(logs[0])


def test_a_greeting_gets_the_introduction_wherever_it_is_asked(core: Core) -> None:
    """ "good morning", "hii" and "help" get the introduction in the terminal
    too, as in Slack, logged as small talk; a greeting before a question
    changes nothing of its answer."""
    for said in ("good morning", "hii", "help", "hi all :wave:"):
        with capture_logs() as logs:
            reply = core.answerer.answer(said)
        assert reply.text == EMPTY_PROMPT, said
        assert [e["event"] for e in logs] == ["faq.small_talk"], said
    greeted = core.answerer.answer("good morning, what does an stpm do?")
    plain = core.answerer.answer("what does an stpm do?")
    assert ("answered", plain.entry_id) == (greeted.outcome, greeted.entry_id)


def test_a_complaint_gets_an_apology_not_unrelated_entries(core: Core) -> None:
    """ "that's wrong", "makes no sense": one line saying how to do better,
    no "did you mean" of entries that have nothing to do with it."""
    for said in ("that's wrong", "makes no sense", "huh?"):
        reply = core.answerer.answer(said)
        assert reply.text == CLOSINGS["complaint"], said
        assert () == reply.suggestions
        assert reply.closing


def test_thanks_logs_small_talk_not_a_gap(core: Core) -> None:
    """ "thanks!" is logged as `faq.small_talk`, never as a question unanswered."""
    with capture_logs() as logs:
        reply = core.answerer.answer("thanks, that helps!")

    assert reply.closing
    assert [e["event"] for e in logs] == ["faq.small_talk"]


def test_an_unsure_question_logs_the_best_suggestion(core: Core) -> None:
    """When the bot only suggests, `faq.suggested` names the first suggestion."""
    shy = Answerer(
        Library(core.library.snapshot().knowledge, lambda k: Retriever(k, UNSURE)),
        core.answerer.questions,
        Metrics(),
    )
    with capture_logs() as logs:
        reply = shy.answer("cloud computing")

    assert reply.outcome == "suggested"
    assert logs[0]["event"] == "faq.suggested"
    assert logs[0]["entry"] == reply.suggestions[0].id


def test_json_carries_each_part_of_a_question_in_parts(core: Core) -> None:
    """ "what skills do stpms need & how do they stay current": the JSON has
    the second part's answer, under its words, as the text does."""
    asked = core.answerer.retrieve(
        "what skills do stpms need & how do they stay current"
    )
    data = as_json(asked)
    reply = core.answerer.reply(asked)

    assert "key-skills" == data["answers"][0]["id"]
    [part] = data["parts"]
    assert "how do they stay current" == part["question"]
    assert ["bp-stay-current"] == [a["id"] for a in part["answers"]]
    assert [a.entry_id for a in reply.also] == ["bp-stay-current"]


def test_a_question_naming_two_skills_gets_both_in_full(core: Core) -> None:
    """ "how important are cloud and security for a sr tpm": Cloud computing,
    then Cybersecurity under its own name; one skill named, one answer."""
    both = core.answerer.answer("how important are cloud and security for a sr tpm")
    assert "skill-cloud" == both.entry_id
    assert [("Cybersecurity", "skill-cybersecurity")] == [
        (p.question, p.entry_id) for p in both.also
    ]
    one = core.answerer.answer("how important is cloud computing for an stpm")
    assert ("skill-cloud", ()) == (one.entry_id, one.also)


def test_json_carries_answers_with_their_related_entries(core: Core) -> None:
    """The `ask --json` object: question, answers with related, suggestions."""
    question = "how important is cybersecurity for an stpm"
    data = as_json(core.answerer.retrieve(question))
    best = data["answers"][0]

    assert set(data) == ASK_JSON_KEYS
    assert data["question"] == question
    assert data["outcome"] == "answered"
    assert data["general_only"] == []
    assert set(best) == {"id", "title", "text", "score", "related"}
    assert best["id"] == "skill-cybersecurity"
    assert {
        "id": "technical-skills",
        "title": "Technical skills and their importance",
    } in best["related"]


def test_json_says_what_a_question_asks_that_the_knowledge_cant_give(
    core: Core,
) -> None:
    """A figure the entries never state: no answers, suggestions, and why."""
    data = as_json(core.answerer.retrieve("how many years of experience do i need"))
    assert [] == data["answers"]
    assert "suggested" == data["outcome"]
    assert ["figure"] == data["general_only"]
    assert data["suggestions"]


@pytest.fixture
def store() -> Iterator[Store]:
    """An in-memory store, as every front end has."""
    store = Store(engine_for("sqlite://"))
    store.create_schema()
    yield store
    store.close()


def test_every_question_is_counted_and_gaps_are_kept(
    knowledge: Knowledge, store: Store
) -> None:
    """Answered: counted only. Unsure or no match: kept with the candidates."""
    counted = answerer_for(knowledge, store)
    answerer_for(knowledge, store, UNSURE).answer("cloud computing", "U1")
    counted.answer("how important is cybersecurity for an stpm", "U1")
    counted.answer("xyzzy plugh frobnicate")
    assert {"answered": 1, "suggested": 1, "no_match": 1} == store.question_counts()
    suggested, no_match = store.gaps()
    assert ("cloud computing", "suggested", store.user_hash("U1")) == (
        suggested.question,
        suggested.source,
        suggested.user_hash,
    )
    assert "skill-cloud" == suggested.candidates[0].entry_id
    assert ("no_match", None) == (no_match.source, no_match.user_hash)


def test_a_broken_store_costs_no_answer(knowledge: Knowledge) -> None:
    """A store that can't write (no schema here) logs a warning; the reply stands."""
    store = Store(engine_for("sqlite://"))
    with capture_logs() as logs:
        reply = answerer_for(knowledge, store).answer(
            "how important is cybersecurity for an stpm"
        )
    store.close()
    assert "skill-cybersecurity" == reply.entry_id
    assert "faq.record_failed" in [e["event"] for e in logs]


def test_the_nearest_entries_are_kept_whatever_the_outcome(
    knowledge: Knowledge,
) -> None:
    """What a 👎 stores: the three best-ranked entries, even when only one
    was confident enough to be the answer."""
    strict = make_core(knowledge, config=RetrieverConfig(answer_threshold=99))
    asked = strict.answerer.retrieve("how important is cybersecurity for an stpm")

    assert ["skill-cybersecurity"] == [c.entry_id for c in asked.candidates]
    assert 3 == len(asked.nearest)
    assert "skill-cybersecurity" == asked.nearest[0].entry_id


def test_thanks_and_bye_are_no_gaps(knowledge: Knowledge, store: Store) -> None:
    """ "thanks, that helps" or "bye" is no question the knowledge failed to
    answer: nothing for the curators' digest."""
    counted = answerer_for(knowledge, store)
    for said in ("thanks, that helps!", "bye", "cool", "ok thx"):
        assert "empty" == counted.answer(said, "U1").outcome
    assert [] == store.gaps()
