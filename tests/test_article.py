from __future__ import annotations

import pytest

from bot.knowledge.article import Bullet, Faq, Paragraph, Section, Table, parse

ARTICLE = """\
Opening words before any heading.
Getting Started
Some steps include:
- First step
- Second step
Skill | Importance |
---|---|
Cloud | High |
Data | Low |
How long does it take?
+About a week.
+Sometimes two.
In conclusion, start small.
"""


def titles(sections: list[Section]) -> list[str]:
    return [s.title for s in sections]


def test_reads_headings_paragraphs_bullets_tables_and_faqs() -> None:
    """Each kind of line becomes its own block, under its heading."""
    sections = parse(ARTICLE)

    assert titles(sections) == ["Introduction", "Getting Started", "Conclusion"]
    assert [Paragraph("Opening words before any heading.")] == sections[0].blocks
    assert [
        Paragraph("Some steps include:"),
        Bullet("First step"),
        Bullet("Second step"),
        Table(("Skill", "Importance"), (("Cloud", "High"), ("Data", "Low"))),
        Faq("How long does it take?", "About a week.\nSometimes two."),
    ] == sections[1].blocks
    assert [Paragraph("In conclusion, start small.")] == sections[2].blocks


def test_windows_line_endings_read_the_same() -> None:
    """CRLF files give exactly the same sections as LF files."""
    assert parse(ARTICLE) == parse(ARTICLE.replace("\n", "\r\n"))


def test_a_document_without_headings_is_one_introduction() -> None:
    """With no heading at all, everything is in the Introduction."""
    sections = parse("just a sentence.\n- a bullet\n")

    assert titles(sections) == ["Introduction"]
    assert [Paragraph("just a sentence."), Bullet("a bullet")] == sections[0].blocks


def test_an_answer_without_a_question_stays_in_its_section() -> None:
    """A `+` line with no question before it is kept as section text."""
    sections = parse("Topic\n+orphan answer.\n")

    assert [Paragraph("orphan answer.")] == sections[0].blocks


def test_a_question_without_an_answer_stays_in_its_section() -> None:
    """A question nobody answered is kept as text, not dropped."""
    sections = parse("Topic\nWhy though?\nBecause.\n")

    assert [Paragraph("Why though?"), Paragraph("Because.")] == sections[0].blocks


def test_an_empty_plus_line_waits_for_the_answer() -> None:
    """An empty `+` line between a question and its answer is ignored."""
    sections = parse("Topic\nWhy?\n+\n+Because.\n")

    assert [Faq("Why?", "Because.")] == sections[0].blocks


def test_a_short_line_inside_a_wrapped_paragraph_is_not_a_heading() -> None:
    """A paragraph wrapped over lines stays one paragraph, capitals and all."""
    text = (
        "Topic\n"
        "When you brew at home, the grind matters more\n"
        "than the beans and\n"
        "The Water You Use\n"
        "for the cup.\n"
    )
    joined = (
        "When you brew at home, the grind matters more than the beans and "
        "The Water You Use for the cup."
    )

    assert [Section("Topic", [Paragraph(joined)])] == parse(text)


def test_empty_text_has_no_sections() -> None:
    """An empty article gives nothing to ingest."""
    assert [] == parse("") == parse("\ufeff\n  \n")


def test_an_answer_line_with_a_pipe_stays_the_answer() -> None:
    """A `+` line is the FAQ's answer whatever it contains, `|` included."""
    text = (
        "Brewing\nHow do I pick a grind?\n+Coarse | medium | fine.\n+By method | taste."
    )

    assert [
        Faq("How do I pick a grind?", "Coarse | medium | fine.\nBy method | taste.")
    ] == (parse(text)[0].blocks)


def test_a_question_with_a_pipe_keeps_its_answer() -> None:
    """A question answered on the next `+` line is not a table row."""
    text = "Brewing\nFrench press | pour-over: which is easier?\n+Pour-over.\n"

    assert [Faq("French press | pour-over: which is easier?", "Pour-over.")] == (
        parse(text)[0].blocks
    )


@pytest.mark.parametrize(
    "table",
    [
        "Skill | Importance\nCloud | High\nData | Low\n",
        "Skill | Importance\n\n---|---\nCloud | High\nData | Low\n",
        "| Skill | Importance |\n|-|-|\n| Cloud | High |\n| Data | Low |\n",
    ],
    ids=["no-separator", "blank-before-separator", "short-separator"],
)
def test_a_tables_first_row_is_its_header(table: str) -> None:
    """The header row names the columns: without a `---` line when the other
    rows hold levels or numbers, after a blank line, or over a short `-|-`."""
    header, rows = ("Skill", "Importance"), (("Cloud", "High"), ("Data", "Low"))

    assert [Table(header, rows)] == parse(f"Skills\n{table}")[0].blocks


def test_a_table_of_words_alone_has_no_header() -> None:
    """Without a `---` line or values to tell it apart, no row is the header."""
    assert [Table((), (("Tea", "Green"), ("Coffee", "Black")))] == parse(
        "Drinks\nTea | Green\nCoffee | Black\n"
    )[0].blocks
