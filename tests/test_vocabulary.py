"""The knowledge's words: rarity weights, typos and clipped words."""

from __future__ import annotations

import pytest

from bot.search.vocabulary import EVERYDAY_WEIGHT, PREFIX_CREDIT, Vocabulary

# Each word with the entries that have it, in a knowledge of 10 entries.
VOCABULARY = Vocabulary(
    {
        "cybersecurity": [0],
        "cloud": [1, 2],
        "roadmap": [3],
        "manager": list(range(10)),
    },
    10,
)


def test_a_known_word_stands_for_itself_weighing_its_rarity() -> None:
    """Rarer words weigh more; a word every entry has weighs little."""
    matches, cloud = VOCABULARY.word("cloud")
    assert (("cloud", 1.0),) == matches
    assert VOCABULARY.word("roadmap")[1] > cloud > VOCABULARY.word("manager")[1]


def test_a_typo_stands_for_the_word_with_partial_credit() -> None:
    """'roadmpa' is 'roadmap' mistyped: matched, credited under whole."""
    ((word, credit),), _ = VOCABULARY.word("roadmpa")
    assert "roadmap" == word
    assert 0.5 <= credit < 1.0


def test_a_clipped_word_stands_for_the_words_it_starts() -> None:
    """'cybersec' is short for 'cybersecurity'."""
    assert (("cybersecurity", PREFIX_CREDIT),) == VOCABULARY.word("cybersec")[0]


def test_an_unknown_word_weighs_like_the_rarest_unless_everyday() -> None:
    """'seattle' is unknown and weighs most; an everyday word like 'start'
    is unknown too but weighs a fraction of that; short words don't guess."""
    matches, weight = VOCABULARY.word("seattle")
    assert () == matches
    assert weight == VOCABULARY.unknown_idf > VOCABULARY.word("roadmap")[1]
    assert VOCABULARY.word("start")[1] == pytest.approx(
        EVERYDAY_WEIGHT * VOCABULARY.unknown_idf
    )
    assert () == VOCABULARY.word("clo")[0]
