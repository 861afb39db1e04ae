from __future__ import annotations

import datetime as dt

from bot.answers.replies import EMPTY_PROMPT, EXAMPLES, Link, Reply, entry_reply
from bot.cli.render import (
    HELP,
    render,
    render_skills,
    render_tip,
    skill_not_found,
)
from bot.knowledge.models import Knowledge
from bot.text.markup import plain


def test_plain_drops_slack_markers_and_spells_out_links() -> None:
    """Bold, italic and strike markers go; links show label and address."""
    text = (
        "*Cloud* is _key_ ~not~ <https://x.io|here> <https://y.io> a &amp; b snake_case"
    )

    assert (
        plain(text)
        == "Cloud is key not here (https://x.io) https://y.io a & b snake_case"
    )


def test_an_answer_shows_title_text_source_and_related_ids(
    knowledge: Knowledge,
) -> None:
    """An answer reads as title, answer, Source and Related with their ids."""
    text = render(entry_reply(knowledge, knowledge.by_id["skill-cybersecurity"]))
    lines = text.splitlines()

    assert lines[0] == "Cybersecurity"
    assert lines[1] == "Cybersecurity is rated High importance for STPMs."
    assert "Source: Technical skills table" in lines
    assert lines[-1].startswith("Related: Technical skills and their importance (/")
    assert " · " in lines[-1]


def test_suggestions_are_numbered_with_their_ids() -> None:
    """Unsure replies offer numbered choices that the chat can open."""
    reply = Reply(
        "suggested", "cloud?", suggestions=(Link("a", "Alpha"), Link("b", "Beta"))
    )

    assert "Did you mean: 1) Alpha (/a) 2) Beta (/b)" in render(reply).splitlines()


def test_no_match_lists_topics_and_who_to_ask() -> None:
    """Without an answer the bot says what it knows about and who can help."""
    reply = Reply(
        "no_match", "wifi?", topics=("Key Points", "FAQ"), human_contact="#stpm-guild"
    )
    text = render(reply)

    assert text.startswith("Sorry, I don't have an answer to that.")
    assert "  • Key Points\n  • FAQ" in text
    assert text.endswith("For anything else, ask #stpm-guild.")


def test_no_match_without_a_contact_names_nobody() -> None:
    """With no human contact configured, no one is mentioned."""
    assert "ask" not in render(Reply("no_match", "wifi?")).replace("answer", "")


def test_an_empty_question_gets_the_prompt_and_examples() -> None:
    """Asking nothing shows how to ask, with example questions."""
    text = render(Reply("empty", "", text=EMPTY_PROMPT))

    assert text.startswith(EMPTY_PROMPT)
    assert all(f"  • {q}" in text for q in EXAMPLES)


def test_a_tip_shows_its_date_and_where_to_read_more(knowledge: Knowledge) -> None:
    """A tip is dated and links to its related entry."""
    tip = next(t for t in knowledge.tips if t.related)
    related = knowledge.by_id[tip.related or ""]
    text = render_tip(knowledge, tip, dt.date(2025, 1, 31))

    assert text.startswith("Tip for 2025-01-31: ")
    assert "*" not in text
    assert text.endswith(f"More: {related.title} (/{related.id})")


def test_the_skill_table_is_one_line_per_skill(knowledge: Knowledge) -> None:
    """The table reads 'Name: Importance', one skill per line."""
    lines = render_skills(knowledge.skills).splitlines()

    assert len(lines) == len(knowledge.skills)
    assert "Cybersecurity: High" in lines


def test_unknown_and_empty_skill_names_get_a_way_forward() -> None:
    """Unknown names get the closest skills; an empty name, all of them."""
    assert skill_not_found("cooking", ("Cloud computing", "Data analytics")) == (
        "No skill called 'cooking'. Did you mean: Cloud computing, Data analytics?"
    )
    assert skill_not_found("", ("Cloud computing",)) == (
        "Which skill? Known skills: Cloud computing."
    )


def test_help_names_every_chat_command() -> None:
    """The help text lists the chat's commands."""
    for command in ("/skill", "/tip", "/show", "help", "quit"):
        assert command in HELP
