from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.knowledge.draft import draft_yaml
from bot.knowledge.ingest import MAX_RELATED, doc_slug, ingest, shorten
from bot.knowledge.loading import check, load
from bot.knowledge.models import Entry, Knowledge
from bot.search.evaluation import evaluate
from bot.search.retriever import HYBRID, Retriever, RetrieverConfig
from bot.search.semantic import EmbeddingCache, SemanticIndex, load_embedder
from bot.settings import DEFAULT_MODEL_DIR
from bot.text.normalize import fold, normalize
from tests.support.cli import cli
from tests.support.paths import FIXTURES, KNOWLEDGE_DIR

ARTICLE = FIXTURES / "stpm_article.txt"
COFFEE = FIXTURES / "home_coffee_faq.txt"
COFFEE_SET = FIXTURES / "home_coffee_rephrasings.yaml"
OFFSITE = FIXTURES / "team_offsite_faq.txt"
LEAD_PHRASES = FIXTURES / "ingest_lead_phrases.txt"


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


def test_every_entry_has_related_entries(tmp_path: Path) -> None:
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
    """Same headings get -2 ids; a very long question is cut to an 80-char title."""
    long_question = "Why " + "really " * 40 + "?"
    text = f"Setup\nOne.\nSetup\nTwo.\n{long_question}\n+Because.\n"
    knowledge, problems = check(draft_dir(tmp_path, text, "notes.txt"))

    assert problems == []
    assert [e.id for e in knowledge.entries][:2] == ["notes-setup", "notes-setup-2"]
    assert all(len(e.title) <= 80 for e in knowledge.entries)
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


def coffee_retriever(directory: Path, semantic: bool) -> Retriever:
    """The coffee FAQ ingested as is, matched by words only or with the model."""
    text = COFFEE.read_text(encoding="utf-8")
    knowledge = load(draft_dir(directory, text, COFFEE.name))
    if not semantic:
        return Retriever(knowledge, RetrieverConfig())
    model = load_embedder(DEFAULT_MODEL_DIR)
    assert model is not None, "the bundled model did not load"
    index = SemanticIndex(knowledge, EmbeddingCache(None, model))
    return Retriever(knowledge, HYBRID, index)


@pytest.mark.parametrize(
    ("semantic", "top1", "refused"), [(False, 0.60, 0.90), (True, 0.77, 0.95)]
)
def test_an_ingested_faq_answers_rephrased_questions(
    tmp_path: Path, semantic: bool, top1: float, refused: float
) -> None:
    """Knowledge nobody tuned: rephrasings find their FAQ, off-topic is
    refused, by words only and with the model (whose score for an entry with
    one question is that question's cosine: its few shared words said less)."""
    retriever = coffee_retriever(tmp_path, semantic)
    by_question = {q: e.id for e in retriever.knowledge.entries for q in e.questions}
    data = yaml.safe_load(COFFEE_SET.read_text(encoding="utf-8"))
    labelled: list[tuple[str, tuple[str, ...]]] = [
        (i["q"], (by_question[i["expect"]],)) for i in data["in_scope"]
    ]

    report = evaluate(retriever, labelled, data["out_of_scope"])

    print(
        f"coffee FAQ: top-1 {report.top1_rate:.3f}, refused {report.refused_rate:.3f}"
    )
    assert report.top1_rate >= top1
    assert report.refused_rate >= refused


def by_title(text: str, name: str) -> dict[str, dict[str, Any]]:
    return {e["title"]: e for e in ingest(text, name)}


def test_an_faq_answer_with_a_pipe_keeps_its_question() -> None:
    """An answer with `|` in it is still the FAQ's answer, not a table."""
    text = "Brewing\nHow do I pick a grind?\n+Coarse | medium | fine, by method.\n"

    faq = by_title(text, "grind.txt")["How do I pick a grind?"]

    assert faq["questions"] == ["How do I pick a grind?"]
    assert faq["answer"] == "Coarse | medium | fine, by method."


def test_ids_are_a_few_whole_words_of_the_title() -> None:
    """Question words and filler are left out; a clash gets -2."""
    text = (
        "Planning\n"
        "How far in advance should we start planning a team offsite?\n+Early.\n"
        "How do we book the venue?\n+Online.\n"
        "When should we book the venue?\n+Soon.\n"
    )

    ids = [e["id"] for e in ingest(text, "doc.txt")]

    assert ids == [
        "doc-planning",
        "doc-advance-planning-team-offsite",
        "doc-book-venue",
        "doc-book-venue-2",
    ]


@pytest.mark.parametrize("article", [ARTICLE, OFFSITE, COFFEE], ids=lambda p: p.stem)
def test_ids_are_short_and_never_cut_mid_word(article: Path) -> None:
    """Every id is the document's slug, then at most 40 characters of whole
    words from its title, never a question's opening words."""
    entries = ingest(article.read_text(encoding="utf-8"), article.name)
    prefix = f"{doc_slug(article.name)}-"

    for entry in entries:
        assert entry["id"].startswith(prefix)
        words = re.sub(r"-\d+$", "", entry["id"].removeprefix(prefix))
        assert len(words) <= 40, entry["id"]
        assert set(words.split("-")) <= set(
            re.findall("[a-z0-9]+", fold(entry["title"]))
        )
        assert words.split("-")[0] not in {"how", "what", "why", "who", "do", "can"}
    assert len({e["id"] for e in entries}) == len(entries)


def test_titles_are_short_phrases() -> None:
    """A bullet's title is its lead phrase, or the bullet cut where a phrase
    ends; no title is over 80 characters or ends on a dangling word."""
    titles = by_title(ARTICLE.read_text(encoding="utf-8"), ARTICLE.name)

    assert {
        "Strong technical expertise",
        "Business acumen",
        "Developing and executing technical strategies",
        "Senior Technical Program Managers play a crucial role",
        "How do Senior Technical Program Managers stay current?",
    } <= set(titles)
    assert max(map(len, titles)) <= 80
    dangling = re.compile(r"(?:[,;:(…—-]|\b(?:and|of|the|to|in|a))$")
    assert [t for t in titles if dangling.search(t)] == []


def test_a_bullet_without_a_telling_lead_phrase_is_cut_at_a_phrase_end() -> None:
    """A label ("Note:") is no title; a long bullet is cut at a phrase end."""
    titles = list(by_title(LEAD_PHRASES.read_text(encoding="utf-8"), "lead.txt"))

    assert titles == [
        "Lead phrases",
        "Note: the venue needs a signed contract",
        "Book the venue at least six weeks ahead",
        "Venue contracts",
        "Catering",
    ]


@pytest.mark.parametrize(
    "table",
    [
        "Skill | Importance\nCloud | High\nData | Low\n",
        "Skill | Importance\n\n---|---\nCloud | High\nData | Low\n",
    ],
    ids=["no-separator", "blank-before-separator"],
)
def test_a_tables_header_is_its_header_not_an_entry(table: str) -> None:
    """The header row titles the table entry and heads its answer; it is
    neither an entry of its own nor a skill."""
    entries = ingest(f"Skills\n{table}", "t.txt")
    skills = [e["skill"]["name"] for e in entries if "skill" in e]
    table_entry = next(e for e in entries if e["title"] == "Skill and Importance")

    assert [e["title"] for e in entries] == [
        "Skills",
        "Skill and Importance",
        "Cloud",
        "Data",
    ]
    assert skills == ["Cloud", "Data"]
    assert table_entry["answer"] == "*Skill — Importance*\n• Cloud — High\n• Data — Low"


def test_related_entries_are_the_section_and_the_most_similar() -> None:
    """Each entry links to its section first, then to entries that say
    similar things, wherever they are in the document; never to itself."""
    entries = ingest(ARTICLE.read_text(encoding="utf-8"), ARTICLE.name)
    titles = {e["id"]: e["title"] for e in entries}
    heads = {e["source"]: e["id"] for e in entries if e["title"] == e["source"]}
    related = {e["title"]: [titles[r] for r in e["related"]] for e in entries}

    for e in entries:
        assert e["id"] not in e["related"]
        assert len(set(e["related"])) == len(e["related"]) <= MAX_RELATED
        if heads[e["source"]] != e["id"]:
            assert e["related"][0] == heads[e["source"]]
    assert {
        "How do Senior Technical Program Managers stay current?",
        "STPMs must stay up-to-date with the latest technologies and trends",
    } <= set(related["Staying up-to-date with the latest technologies and trends"])
    assert {"Cybersecurity", "Networking and infrastructure"} <= set(
        related["Cloud computing"]
    )


def test_topics_get_phrasings_from_their_title() -> None:
    """Sections and bullets without FAQs get up to 2 phrasings made from
    their title, none asked elsewhere; FAQs keep just their own question."""
    text = ARTICLE.read_text(encoding="utf-8")
    known = Knowledge.of(
        [Entry(id="x", title="X", answer="Y.", questions=("what is business acumen",))]
    )
    entries = {e["title"]: e for e in ingest(text, ARTICLE.name, known)}
    asked = [normalize(q).text for e in entries.values() for q in e["questions"]]

    assert entries["Leadership skills"]["questions"] == [
        "what are leadership skills",
        "why do leadership skills matter",
    ]
    assert entries["Business acumen"]["questions"] == [
        "why does business acumen matter"
    ]
    assert entries["Introduction"]["questions"] == []
    assert entries["Cloud computing"]["questions"] == []
    assert all(len(e["questions"]) <= 2 for e in entries.values())
    assert len(asked) == len(set(asked))
    faqs = [e for e in entries.values() if e["title"].endswith("?")]
    assert [len(e["questions"]) for e in faqs] == [1, 1, 1]


def test_a_section_of_faqs_gets_no_phrasings() -> None:
    """A section of FAQ pairs is found by its FAQs' questions."""
    entries = ingest(OFFSITE.read_text(encoding="utf-8"), OFFSITE.name)

    assert entries[0]["title"] == "Team Offsite Planning FAQ"
    assert entries[0]["questions"] == []


def test_no_title_is_ever_empty() -> None:
    """A bullet opening with a long bracket, or made of dashes, still gets a
    title (an empty one would fail validation once the draft is used)."""
    for text in (
        "(for example, the weekly review of every program with all of the "
        "stakeholders and the team leads in one meeting) is where it starts",
        "- " * 60,
    ):
        assert shorten(text).strip()


def test_a_heading_with_nothing_under_it_is_no_entry() -> None:
    """A document's title heading over its sections, and an empty section:
    no entry whose answer would only repeat its title."""
    text = "# Team handbook\n\n## Parking\n\nPark on level 2.\n\n## Lunch\n"
    drafted = ingest(text, "handbook.txt")
    assert ["Parking"] == [e["title"] for e in drafted]
    assert "Park on level 2." in drafted[0]["answer"]


def test_an_article_of_headings_only_is_refused(tmp_path: Path) -> None:
    """Nothing under any heading: one line saying so, no draft written."""
    article = tmp_path / "heads.txt"
    article.write_text("# Only\n\n## Headings\n\n## Here\n", encoding="utf-8")
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    done = cli(tmp_path, "ingest", str(article), knowledge_dir=knowledge)
    assert 1 == done.returncode
    assert "has no text under its headings: nothing to ingest" in done.stderr
    assert not (knowledge / "heads.yaml").exists()
