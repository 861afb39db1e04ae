"""The curated knowledge: it loads, covers the article, and broken files are
reported with file, entry and line."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.knowledge.loading import KnowledgeError, check, load
from bot.knowledge.models import Importance, Knowledge
from tests.support.paths import FIXTURES, KNOWLEDGE_DIR

ARTICLE = (FIXTURES / "stpm_article.txt").read_text(encoding="utf-8")


def test_the_real_knowledge_is_valid() -> None:
    """knowledge/ loads with no errors."""
    _, problems = check(KNOWLEDGE_DIR)
    assert [str(p) for p in problems if not p.warning] == []


def test_the_skills_table_matches_the_article(knowledge: Knowledge) -> None:
    """Every row of the article's table is a skill with the same importance."""
    rows = [
        line.split("|")[:2]
        for line in ARTICLE.splitlines()
        if line.count("|") >= 2 and "---" not in line and "Importance" not in line
    ]
    expected = {name.strip(): level.strip() for name, level in rows}
    actual = {
        e.skill.name: e.skill.importance.value for e in knowledge.skills if e.skill
    }
    assert expected == actual


def test_every_answer_links_to_related_entries(knowledge: Knowledge) -> None:
    """No dead end: each entry has at least two related entries."""
    assert [e.id for e in knowledge.entries if len(e.related) < 2] == []


def test_every_article_section_is_a_source(knowledge: Knowledge) -> None:
    """Each part of the article is the source of at least one entry."""
    sources = {e.source for e in knowledge.entries}
    for section in (
        "Key Points",
        "Defining the Senior Technical Program Manager Role",
        "Key Responsibilities of a Senior Technical Program Manager",
        "Skills and Qualities Required for Success",
        "Best Practices for Senior Technical Program Managers",
        "FAQ",
        "Conclusion",
    ):
        assert section in sources


def test_every_best_practice_is_a_tip(knowledge: Knowledge) -> None:
    """The daily tips include one per best practice."""
    tipped = {t.related for t in knowledge.tips}
    best = {e.id for e in knowledge.entries if e.id.startswith("bp-")}
    assert best <= tipped
    assert len(knowledge.tips) >= 5


def test_skills_have_the_aliases_people_type(knowledge: Knowledge) -> None:
    """'AI/ML', 'security' and 'infra' are known aliases."""
    aliases = {a.lower() for e in knowledge.skills if e.skill for a in e.skill.aliases}
    assert {"ai/ml", "security", "infra"} <= aliases


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the real knowledge to break."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def append(directory: Path, text: str) -> None:
    (directory / "zz-broken.yaml").write_text(text, encoding="utf-8")


def messages(directory: Path) -> list[str]:
    return [str(p) for p in check(directory, dt.date(2026, 1, 1))[1]]


def test_unknown_related_id_is_named_with_file_entry_and_line(broken: Path) -> None:
    """A typo in `related` names the file, the entry, its line and the bad id."""
    append(
        broken,
        "entries:\n  - id: extra\n    title: Extra\n    answer: Hi\n"
        "    related: [no-such-entry]\n",
    )
    assert any(
        "zz-broken.yaml:2 [extra]" in m and "'no-such-entry' does not exist" in m
        for m in messages(broken)
    )


def test_duplicate_ids_and_questions_are_errors(broken: Path) -> None:
    """An id or a question used twice is reported."""
    append(
        broken,
        "entries:\n  - id: skill-cloud\n    title: Again\n    answer: Hi\n"
        "  - id: extra\n    title: Extra\n    answer: Hi\n"
        "    questions:\n      - How important is cloud computing for an STPM?\n",
    )
    found = messages(broken)
    assert any("duplicate id" in m for m in found)
    assert any("is also under entry 'skill-cloud'" in m for m in found)


def test_what_slack_would_reject_or_ping_is_caught(broken: Path) -> None:
    """A related id twice (two buttons with one action_id), a mention or
    broadcast (it would notify people): errors; raw HTML: a warning."""
    append(
        broken,
        "entries:\n  - id: extra\n    title: Extra\n"
        '    answer: "Ask <!here> or <!subteam^S0TEAM|@leads>, <b>now</b>"\n'
        '    source: "Notes by <@U0BOSS>"\n'
        "    related: [skill-cloud, skill-cloud]\n",
    )
    found = messages(broken)
    assert any(
        "[extra]" in m and "related lists 'skill-cloud' twice" in m for m in found
    )
    errors = [m for m in found if "would notify people" in m and "error" in m]
    assert 3 == len(errors)
    assert any("<@U0BOSS> would notify" in m for m in errors)
    assert any("HTML <b>" in m and "warning" in m for m in found)


def test_empty_answer_and_bad_importance_are_errors(broken: Path) -> None:
    """A blank answer and importance 'Huge' are named."""
    append(
        broken,
        "entries:\n  - id: extra\n    title: Extra\n    answer: '  '\n"
        "    skill: {name: Extra, importance: Huge}\n",
    )
    found = messages(broken)
    assert any("[extra]" in m and "answer" in m and "empty" in m for m in found)
    assert any("[extra]" in m and "importance" in m for m in found)


def test_yaml_syntax_error_gives_the_line(broken: Path) -> None:
    """A YAML mistake is reported with its line, not a traceback."""
    append(broken, "entries:\n  - id: extra\n    title: [unclosed\n")
    assert any(
        "zz-broken.yaml:4" in m and "YAML syntax error" in m for m in messages(broken)
    )


def test_a_key_given_twice_is_an_error_not_a_silent_loss(broken: Path) -> None:
    """YAML keeps the last of two `questions:`; validate says so instead of
    dropping the first list without a word, in entries and synonyms alike."""
    append(
        broken,
        "entries:\n  - id: extra\n    title: Extra\n    answer: Hi\n"
        "    questions: [is extra a thing]\n    questions: [what is extra]\n"
        "synonyms:\n  extra: [xtra]\n  extra: [ekstra]\n",
    )
    found = [m.rsplit("/", 1)[-1] for m in messages(broken) if "given twice" in m]
    assert [
        "zz-broken.yaml:6: error: 'questions' is given twice (also on line 5);"
        " only one would be kept",
        "zz-broken.yaml:9: error: 'extra' is given twice (also on line 8);"
        " only one would be kept",
    ] == sorted(found)


def test_bad_synonyms_are_errors(broken: Path) -> None:
    """Synonyms must map a phrase to a list of words."""
    append(broken, "synonyms:\n  cloud: aws\n")
    assert any("synonyms for 'cloud'" in m for m in messages(broken))


def test_overdue_review_is_only_a_warning(knowledge: Knowledge) -> None:
    """An entry past its review date still loads; validate warns."""
    _, problems = check(KNOWLEDGE_DIR, dt.date(2099, 1, 1))
    assert problems and all(p.warning for p in problems)
    assert "review overdue" in problems[0].message


def test_load_refuses_invalid_knowledge(broken: Path) -> None:
    """load() raises with every problem listed."""
    append(broken, "entries:\n  - id: Bad Id\n    title: x\n    answer: y\n")
    with pytest.raises(KnowledgeError) as caught:
        load(broken)
    assert "Bad Id" in str(caught.value)


def test_importance_is_case_insensitive() -> None:
    """'high' is read as High."""
    from bot.knowledge.models import Skill

    assert Skill(name="x", importance="high").importance == Importance.HIGH
