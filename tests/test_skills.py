from __future__ import annotations

import pytest

from bot.knowledge.models import Knowledge
from bot.search.skills import find_skill, format_skill

SKILL_NAMES = (
    "Cloud computing",
    "Artificial intelligence and machine learning",
    "Cybersecurity",
    "Data analytics",
    "Networking and infrastructure",
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Cybersecurity", "Cybersecurity: High"),
        ("cyber security", "Cybersecurity: High"),
        ("cybersecurty", "Cybersecurity: High"),
        ("AI/ML", "Artificial intelligence and machine learning: Medium"),
        ("ml", "Artificial intelligence and machine learning: Medium"),
        (
            "machine-learning and AI",
            "Artificial intelligence and machine learning: Medium",
        ),
        ("infra", "Networking and infrastructure: High"),
        ("Networking & Infrastructure", "Networking and infrastructure: High"),
        ("infrastructure and networking", "Networking and infrastructure: High"),
        ("Cloud", "Cloud computing: High"),
        ("<@U024BE7LH> :cloud: cloud", "Cloud computing: High"),
        ("data analytics", "Data analytics: Medium"),
    ],
)
def test_names_aliases_and_typos_resolve(
    knowledge: Knowledge, typed: str, expected: str
) -> None:
    """A skill is found by its name, an alias, other punctuation or a typo."""
    found = find_skill(knowledge, typed)

    assert found.entry is not None
    assert expected == format_skill(found.entry)


def test_unknown_skill_suggests_three_closest_names(knowledge: Knowledge) -> None:
    """An unknown skill finds nothing and suggests up to 3 real skill names."""
    found = find_skill(knowledge, "cooking")

    assert found.entry is None
    assert len(found.suggestions) == 3
    assert set(found.suggestions) <= set(SKILL_NAMES)


@pytest.mark.parametrize("typed", ["a", "java", "project management", "x"])
def test_short_or_unrelated_names_are_not_guessed(
    knowledge: Knowledge, typed: str
) -> None:
    """A fragment or an unrelated word is not stretched into a skill."""
    assert find_skill(knowledge, typed).entry is None


@pytest.mark.parametrize("typed", ["", "   ", ":wave:"])
def test_empty_name_suggests_every_skill(knowledge: Knowledge, typed: str) -> None:
    """An empty name finds nothing and lists every skill, in table order."""
    found = find_skill(knowledge, typed)

    assert found.entry is None
    assert found.suggestions == SKILL_NAMES


def test_format_refuses_an_entry_that_is_not_a_skill(knowledge: Knowledge) -> None:
    """Formatting a non-skill entry is a programming error, said plainly."""
    with pytest.raises(ValueError, match="not a skill"):
        format_skill(knowledge.by_id["role-overview"])


def test_knowledge_synonyms_find_a_skill(knowledge: Knowledge) -> None:
    """'sec' is no alias, but synonyms.yaml maps it to cybersecurity."""
    found = find_skill(knowledge, "sec")
    assert found.entry is not None
    assert "Cybersecurity: High" == format_skill(found.entry)


@pytest.mark.parametrize(
    ("typed", "skill"),
    [
        ("cybersec", "skill-cybersecurity"),
        ("network infra", "skill-networking"),
        ("data anal", "skill-data-analytics"),
        ("cloud computing", "skill-cloud"),
    ],
)
def test_clipped_and_multi_word_names_match(
    knowledge: Knowledge, typed: str, skill: str
) -> None:
    found = find_skill(knowledge, typed)
    assert found.entry is not None and skill == found.entry.id


def test_a_clipped_name_shared_by_two_skills_is_not_a_guess(
    knowledge: Knowledge,
) -> None:
    assert find_skill(knowledge, "c").entry is None
