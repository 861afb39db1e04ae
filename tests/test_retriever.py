"""The retriever: confident answers, honest refusals, suggestions when unsure."""

from __future__ import annotations

import gc
import random
import weakref
from dataclasses import replace

from bot.knowledge.models import Entry, Knowledge
from bot.search.calibration import Thresholds
from bot.search.retriever import Retriever, RetrieverConfig


def entry(id: str, title: str, questions: tuple[str, ...], **kw: object) -> Entry:
    return Entry.model_validate(
        {"id": id, "title": title, "answer": f"About {title}.", "questions": questions}
        | kw
    )


def test_answers_a_paraphrase_with_its_related_entries(knowledge: Knowledge) -> None:
    """A question in other words finds the entry, which links to related ones."""
    result = Retriever(knowledge).ask(
        "how much does cyber security matter for a sr tpm?"
    )
    assert "answered" == result.status
    assert "skill-cybersecurity" == result.answers[0].entry.id
    assert knowledge.related(result.answers[0].entry)


def test_scores_are_between_0_and_100_best_first(knowledge: Knowledge) -> None:
    """rank() orders entries by a 0-100 score."""
    ranked = Retriever(knowledge).rank("what does an stpm do", limit=5)
    scores = [m.score for m in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)


def test_typos_still_match(knowledge: Knowledge) -> None:
    """'cybersecurty' and 'stakholders' are understood."""
    retriever = Retriever(knowledge)
    assert (
        "skill-cybersecurity"
        == retriever.ask("cybersecurty importance").answers[0].entry.id
    )
    best = retriever.ask("building relationships with stakholders").answers[0].entry.id
    assert "bp-stakeholder-relationships" == best


def test_slack_noise_does_not_change_the_answer(knowledge: Knowledge) -> None:
    """Mentions, emoji and links around a question don't change the answer."""
    retriever = Retriever(knowledge)
    plain = retriever.ask("how important is cloud for an stpm")
    noisy = retriever.ask(
        "<@U024BE7LH> :wave: how important is cloud for an STPM?? <!here>"
    )
    assert plain.answers[0].entry.id == noisy.answers[0].entry.id


def test_out_of_scope_questions_get_no_answer(knowledge: Knowledge) -> None:
    """The bot does not guess at things the knowledge does not cover."""
    retriever = Retriever(knowledge)
    for question in ("what's the wifi password?", "how do i reset my laptop", "lunch?"):
        assert () == retriever.ask(question).answers, question


def test_empty_and_contentless_questions_are_empty(knowledge: Knowledge) -> None:
    """Blank input, punctuation or only greetings ask nothing."""
    retriever = Retriever(knowledge)
    for question in ("", "   ", "???", "<@U123>", ":wave:", "hey there"):
        assert "empty" == retriever.ask(question).status, question


def test_a_huge_question_is_cut_and_still_answered(knowledge: Knowledge) -> None:
    """10,000 characters: the start is used and the result says so."""
    question = "how important is cloud computing for an stpm " + "x" * 10_000
    result = Retriever(knowledge).ask(question)
    assert result.truncated
    assert "skill-cloud" == result.answers[0].entry.id


def test_close_unrelated_runners_up_turn_an_answer_into_suggestions() -> None:
    """Two unrelated entries equally good: suggest both, answer neither."""
    knowledge = Knowledge.of(
        [
            entry(
                "pasta-water", "Salting pasta water", ("how much salt in pasta water",)
            ),
            entry(
                "pasta-sauce", "Salting pasta sauce", ("how much salt in pasta sauce",)
            ),
        ]
    )
    result = Retriever(knowledge, RetrieverConfig(answer_margin=5)).ask("salt pasta")
    assert "suggested" == result.status
    assert {"pasta-water", "pasta-sauce"} == {m.entry.id for m in result.suggestions}


def test_a_close_related_runner_up_does_not_block_the_answer() -> None:
    """If the top entry links to the runner-up, answer: the link shows it too."""
    knowledge = Knowledge.of(
        [
            entry(
                "pasta-water",
                "Salting pasta water",
                ("how much salt in pasta water",),
                related=("pasta-sauce",),
            ),
            entry(
                "pasta-sauce", "Salting pasta sauce", ("how much salt in pasta sauce",)
            ),
        ]
    )
    result = Retriever(knowledge, RetrieverConfig(answer_margin=5)).ask(
        "salt pasta water"
    )
    assert "answered" == result.status
    assert "pasta-water" == result.answers[0].entry.id


def test_the_threshold_comes_from_the_config(knowledge: Knowledge) -> None:
    """A threshold of 100 refuses what the default answers."""
    question = "how do stpms stay current with tech trends"
    assert Retriever(knowledge).ask(question).answers
    strict = Retriever(knowledge, RetrieverConfig(answer_threshold=100))
    assert () == strict.ask(question).answers


def test_an_empty_knowledge_answers_nothing() -> None:
    """No entries: no answer, no crash."""
    assert "no_match" == Retriever(Knowledge.of([])).ask("cloud").status


def test_knowledge_synonyms_are_used(knowledge: Knowledge) -> None:
    """Synonyms from knowledge/synonyms.yaml apply: 'AI/ML' finds the AI skill."""
    result = Retriever(knowledge).ask("is AI/ML a must for sr TPMs")
    assert "skill-ai-ml" == result.answers[0].entry.id


def test_a_word_an_abbreviation_repeats_still_counts() -> None:
    """'senior tpm' expands to words that include 'technical', so 'technical
    skills ... senior tpm' and 'skills ... senior tpm' differ by a repeated
    word: each goes to the entry whose phrasing it matches."""
    knowledge = Knowledge.of(
        [
            entry("key-skills", "Key skills", ("what skills does an stpm need",)),
            entry(
                "technical-skills",
                "Skills table",
                ("what technical skills does an stpm need",),
            ),
        ],
        synonyms={"senior technical program manager": ("stpm", "senior tpm")},
    )
    retriever = Retriever(knowledge)
    asked = {
        "what technical skills does a senior tpm need": "technical-skills",
        "which skills does a senior tpm need": "key-skills",
    }
    for question, expected in asked.items():
        assert expected == retriever.rank(question, 1)[0].entry.id


def test_a_word_typed_over_and_over_counts_twice_at_most(knowledge: Knowledge) -> None:
    """Repeating 'cloud' four times weighs no more than twice: an off-topic
    question doesn't become an answer by insisting."""
    retriever = Retriever(knowledge)
    twice = retriever.rank("cloud cloud what is the office wifi password", 1)
    four = retriever.rank("cloud cloud cloud cloud what is the office wifi password", 1)
    assert twice == four


def test_a_large_knowledge_still_finds_the_one_entry(knowledge: Knowledge) -> None:
    """Past a few thousand entries only the entries sharing the most rare
    words are scored: the real entries still answer among 3,000 others,
    typos and all, and an off-topic question still gets nothing."""
    rng = random.Random(5)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]

    def words(n: int) -> str:
        return " ".join("".join(rng.choices(syllables, k=3)) for _ in range(n))

    filler = [
        entry(f"filler-{n}", words(3), (words(6), words(6)), answer=words(40))
        for n in range(3000)
    ]
    large = Retriever(
        Knowledge.of([*knowledge.entries, *filler], synonyms=knowledge.synonyms)
    )
    small = Retriever(knowledge)
    asked = [
        "how importnat is cybersecuirty for an stpm",
        "do i need to know cloud computing",
        "whats the future of the stpm role",
    ]
    for question in asked:
        expected = small.ask(question).best
        found = large.ask(question).best
        assert expected is not None and found is not None
        assert expected.entry == found.entry
    assert large.ask("what is the wifi password").best is None


def test_a_replaced_retriever_is_freed_at_once(knowledge: Knowledge) -> None:
    """No reference cycles: when a knowledge reload replaces the retriever,
    the old index and its caches go as soon as nothing uses them, not at
    some later garbage collection."""
    gc.disable()
    try:
        retriever = Retriever(knowledge)
        retriever.ask("how important is cloud for a senior tpm")
        index = weakref.ref(retriever._parts[0][0])
        del retriever
        assert index() is None
    finally:
        gc.enable()


def test_a_long_preamble_keeps_the_question_at_its_end(knowledge: Knowledge) -> None:
    """Context first, the question last: the part that asks is what counts."""
    preamble = "so some context about our team and the reorg last quarter. " * 20
    question = preamble + "anyway, how important is cloud computing for an stpm?"
    assert len(question) > 1000
    result = Retriever(knowledge).ask(question)
    assert result.truncated
    assert result.best is not None and "skill-cloud" == result.best.entry.id


def test_by_words_only_the_configured_thresholds_hold_everywhere(
    knowledge: Knowledge,
) -> None:
    """Without the model nothing is learnt at load, even when asked to: every
    entry has the lexical thresholds, 44 to answer and 30 to suggest."""
    for config in (RetrieverConfig(), replace(RetrieverConfig(), calibrate=True)):
        retriever = Retriever(knowledge, config)
        assert () == retriever.calibrated
        assert {Thresholds(44, 30)} == {
            retriever.thresholds(e) for e in knowledge.entries
        }
