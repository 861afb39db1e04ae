from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.knowledge.draft import draft_yaml
from bot.knowledge.ingest import doc_slug, ingest
from bot.knowledge.loading import check, load
from bot.knowledge.models import Entry, Knowledge
from bot.search.evaluation import evaluate
from bot.search.retriever import Retriever, RetrieverConfig
from tests.support.paths import FIXTURES, KNOWLEDGE_DIR

ARTICLE = FIXTURES / "stpm_article.txt"
COFFEE = FIXTURES / "home_coffee_faq.txt"
COFFEE_SET = FIXTURES / "home_coffee_rephrasings.yaml"


def draft_dir(
    directory: Path, text: str, name: str, existing: Knowledge | None = None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    entries = ingest(text, name, existing)
    (directory / f"{doc_slug(name)}.yaml").write_text(
        draft_yaml(entries, name), encoding="utf-8"
    )
    return directory


def shown(entries: tuple[Entry, ...]) -> str:
    """Everything a user can see or ask for, across the entries."""
    parts = [p for e in entries for p in (e.title, e.answer, e.source, *e.questions)]
    return "\n".join(parts)


def article_pieces(text: str) -> list[str]:
    """Each heading, paragraph, bullet, table cell, question and answer."""
    pieces = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or set(line) <= set("-|: "):
            continue
        if "|" in line:
            pieces += [c.strip() for c in line.strip("|").split("|") if c.strip()]
        else:
            pieces.append(line.removeprefix("- ").removeprefix("+"))
    return pieces


def test_every_part_of_the_article_appears_in_the_draft(tmp_path: Path) -> None:
    """Every heading, paragraph, bullet, table cell and FAQ is in some entry."""
    text = ARTICLE.read_text(encoding="utf-8")
    knowledge, problems = check(draft_dir(tmp_path, text, ARTICLE.name))

    assert problems == []
    missing = [p for p in article_pieces(text) if p not in shown(knowledge.entries)]
    assert missing == []


def test_sections_faqs_and_skill_rows_become_entries(tmp_path: Path) -> None:
    """Headings, FAQ pairs and skill-table rows each get their own entry."""
    knowledge = load(draft_dir(tmp_path, ARTICLE.read_text("utf-8"), ARTICLE.name))
    titles = {e.title: e for e in knowledge.entries}
    faq = titles["What are some best practices for Senior Technical Program Managers?"]

    assert {"Introduction", "Key Points", "Conclusion"} <= set(titles)
    assert (faq.title,) == faq.questions
    assert faq.answer.startswith("Some best practices for Senior Technical")
    assert [
        f"{e.skill.name}: {e.skill.importance.value}"
        for e in knowledge.skills
        if e.skill and e.skill.name in {"Cybersecurity", "Data analytics"}
    ] == ["Cybersecurity: High", "Data analytics: Medium"]


def test_every_entry_links_to_its_neighbours(tmp_path: Path) -> None:
    """Ids carry the document's slug and every answer has related entries."""
    knowledge = load(draft_dir(tmp_path, ARTICLE.read_text("utf-8"), ARTICLE.name))

    assert all(e.id.startswith("stpm-article-") for e in knowledge.entries)
    assert [e.id for e in knowledge.entries if not knowledge.related(e)] == []


def test_the_draft_validates_next_to_the_real_knowledge(tmp_path: Path) -> None:
    """Drafted next to the shipped knowledge, nothing clashes; entries are kept
    while questions and skill names the knowledge already has are left out."""
    shutil.copytree(KNOWLEDGE_DIR, tmp_path / "k")
    existing = load(tmp_path / "k")
    text = ARTICLE.read_text(encoding="utf-8")

    knowledge, problems = check(draft_dir(tmp_path / "k", text, ARTICLE.name, existing))

    assert [str(p) for p in problems if not p.warning] == []
    assert len(existing.entries) + len(ingest(text, ARTICLE.name)) == len(
        knowledge.entries
    )
    assert len(existing.skills) == len(knowledge.skills)


def test_a_question_already_asked_elsewhere_is_skipped(knowledge: Knowledge) -> None:
    """A FAQ already asked in the knowledge keeps its entry, not its question."""
    asked = knowledge.entries[0].questions[0]
    entries = ingest(f"FAQ\n{asked}?\n+Yes.\n", "faq.txt", knowledge)

    faq = next(e for e in entries if e["answer"] == "Yes.")
    assert faq["questions"] == []


def test_ids_are_unique_and_titles_fit(tmp_path: Path) -> None:
    """Same headings get -2 ids; a very long question is cut to a 150-char title."""
    long_question = "Why " + "really " * 40 + "?"
    text = f"Setup\nOne.\nSetup\nTwo.\n{long_question}\n+Because.\n"
    knowledge, problems = check(draft_dir(tmp_path, text, "notes.txt"))

    assert problems == []
    assert [e.id for e in knowledge.entries][:2] == ["notes-setup", "notes-setup-2"]
    assert all(len(e.title) <= 150 for e in knowledge.entries)
    assert (long_question,) == knowledge.entries[-1].questions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words, no heading.\r\n- a bullet\r\n", "• a bullet"),
        ("Topic\n+an answer with no question.\n", "an answer with no question."),
        ("Topic\nIs this answered?\nNo.\n", "Is this answered?"),
    ],
)
def test_odd_articles_still_give_a_valid_draft(
    tmp_path: Path, text: str, expected: str
) -> None:
    """CRLF, no headings, orphan answers and unanswered questions are kept as text."""
    knowledge, problems = check(draft_dir(tmp_path, text, "odd.txt"))

    assert problems == []
    assert expected in knowledge.entries[0].answer


def test_an_empty_article_gives_no_entries() -> None:
    """Nothing in, nothing out."""
    assert [] == ingest("", "empty.txt") == ingest("\n \n", "empty.txt")


def coffee_retriever(directory: Path) -> Retriever:
    text = COFFEE.read_text(encoding="utf-8")
    return Retriever(load(draft_dir(directory, text, COFFEE.name)), RetrieverConfig())


def test_an_ingested_faq_answers_rephrased_questions(tmp_path: Path) -> None:
    """Knowledge nobody tuned: rephrasings find their FAQ, off-topic is refused."""
    retriever = coffee_retriever(tmp_path)
    by_question = {q: e.id for e in retriever.knowledge.entries for q in e.questions}
    data = yaml.safe_load(COFFEE_SET.read_text(encoding="utf-8"))
    labelled: list[tuple[str, tuple[str, ...]]] = [
        (i["q"], (by_question[i["expect"]],)) for i in data["in_scope"]
    ]

    report = evaluate(retriever, labelled, data["out_of_scope"])

    print(
        f"coffee FAQ: top-1 {report.top1_rate:.3f}, refused {report.refused_rate:.3f}"
    )
    assert report.top1_rate >= 0.60
    assert report.refused_rate >= 0.90
