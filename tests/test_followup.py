"""Following the conversation: "tell me more", questions in two parts."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answers.followup import looks_like_question, more_about, parts, wants_more
from bot.cli.chat import Chat
from bot.clock import Clock
from bot.compose import Core
from bot.knowledge.models import Knowledge

NOON = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "text",
    [
        "tell me more",
        "Tell me more!",
        "why?",
        "more",
        "more pls",
        "go on",
        "can you elaborate?",
        "and?",
        "<@U0BOT> tell me more about that",
        "how so?",
    ],
)
def test_requests_to_go_on(text: str) -> None:
    assert wants_more(text)


@pytest.mark.parametrize(
    "text",
    [
        "thanks",
        "why is cloud important",
        "tell me about cloud",
        "more about ai?",
        "what about security",
        "no more questions",
        "",
    ],
)
def test_not_requests_to_go_on(text: str) -> None:
    assert not wants_more(text)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "what skills do STPMs need and how do they stay current?",
            ["what skills do STPMs need", "how do they stay current?"],
        ),
        (
            "is cloud important for a tpm? what about security?",
            ["is cloud important for a tpm", "what about security?"],
        ),
        (
            "what skills do STPMs need & how do they stay current?",
            ["what skills do STPMs need", "how do they stay current?"],
        ),
        ("what do business and technology leaders expect", None),
        ("do r&d teams need tpms", None),
        ("is cloud and security important", None),
        ("what is an stpm and why", None),  # "why" alone can't stand
    ],
)
def test_questions_split_where_a_second_one_starts(
    question: str, expected: list[str] | None
) -> None:
    assert (expected or [question]) == parts(question)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("and what about cloud?", True),
        ("how important is networking", True),
        ("does that apply to juniors", True),
        ("I agree, communication is key", False),
        ("the security review is blocking us", False),
        ("thanks, that helps", False),
    ],
)
def test_questions_are_told_from_remarks(text: str, asked: bool) -> None:
    assert asked == looks_like_question(text)


def test_more_walks_the_related_entries_then_stops(knowledge: Knowledge) -> None:
    shown = ["skill-cloud"]
    while (reply := more_about(knowledge, "skill-cloud", shown)) is not None:
        assert reply.entry_id not in shown
        assert "More on Cloud computing:" == reply.lead
        shown.append(reply.entry_id)
    cloud = knowledge.by_id["skill-cloud"]
    assert set(cloud.related) <= set(shown)
    assert more_about(knowledge, "no-such-entry", []) is None


def chat(core: Core) -> Chat:
    return Chat(core.answerer, core.library, Clock.fixed(NOON))


def test_the_terminal_chat_goes_on_with_the_last_answer(core: Core) -> None:
    talk = chat(core)
    first = talk.respond("how important is cloud computing for an stpm?") or ""
    assert first.startswith("Cloud computing")
    more = talk.respond("tell me more") or ""
    assert more.startswith("More on Cloud computing:")
    again = talk.respond("why?") or ""
    assert again.startswith("More on Cloud computing:")
    assert more.splitlines()[1] != again.splitlines()[1]  # another entry each time
    replies = [talk.respond("more") or "" for _ in range(12)]
    assert replies[-1].startswith("That's everything I have on Cloud computing")


def test_tell_me_more_with_nothing_answered_says_what_to_do(core: Core) -> None:
    """Before any answer: ask a question; after a "did you mean": pick one or
    rephrase; after an answer, then an "I don't know": not the old topic."""
    talk = chat(core)
    assert (talk.respond("tell me more") or "").startswith(
        "There's no answer here yet to say more about: ask me a question"
    )
    offered = Chat(core.answerer, core.library, Clock.fixed(NOON), ["skill-cloud"])
    assert "pick one of the entries above" in (offered.respond("tell me more") or "")
    assert (offered.respond("thanks") or "").startswith("You're welcome")
    assert (offered.respond("1") or "").startswith("Cloud computing")  # still there
    talk.respond("how important is cloud computing for an stpm?")
    talk.respond("what is the wifi password")
    assert "More on" not in (talk.respond("tell me more") or "")


def test_the_terminal_chat_answers_both_parts(core: Core) -> None:
    reply = chat(core).respond("is cloud important for a tpm, and what about security?")
    assert reply is not None and reply.startswith("Cloud computing")
    assert "Also, on “what about security?”:\nCybersecurity" in reply
