"""Slack markup, the one module every layer uses for it, fuzzed."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.markup import (
    clean_slack,
    echo,
    inert,
    is_greeting,
    past_greeting,
    plain,
    question_from,
    small_talk,
    unescape,
)

# Text made of the pieces Slack markup is built from, so the fuzzer reaches
# mentions, links, entities and emoji instead of only random letters.
PIECES = st.sampled_from(
    [
        "<",
        ">",
        "&",
        "&amp;",
        "&lt;",
        "&gt;",
        "<@U1>",
        "<!here>",
        "<!subteam^S1|@t>",
        "<https://x.test|x>",
        "<#C1|general>",
        ":tada:",
        "*",
        "_",
        "~",
        "|",
        " ",
        "\n",
    ]
)
MARKUP = st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=30).map("".join)


@given(MARKUP)
def test_an_echo_is_inert_whatever_the_input(text: str) -> None:
    """What the bot shows back can never ping anyone or make a link."""
    shown = echo(text, 200)
    assert "<" not in shown and ">" not in shown
    assert len(unescape(shown)) <= 200


@given(MARKUP)
def test_inert_then_unescape_gives_the_text_back(text: str) -> None:
    """Escaping loses nothing: a person reads exactly what was typed."""
    assert text == unescape(inert(text))


@given(MARKUP)
def test_questions_and_plain_text_never_fail(text: str) -> None:
    """Any message becomes a question, matching text and terminal text."""
    question = question_from(text, "UBOT")
    refs = re.compile(r"<[@!][^<>]*>")
    # Markup Slack sent is gone; what was typed ("&lt;@x&gt;") stays text.
    assert not set(refs.findall(question)) & set(refs.findall(text))
    assert isinstance(clean_slack(text), str)
    assert isinstance(plain(text), str)


@pytest.mark.parametrize(
    "said",
    [
        *("hi", "Hiii!", "heyyy", "good morning", "Good  Morning!", "morning"),
        *("gm", "hii", "heyy", "helloo", "goood morning", "hello there"),
        *("hi all", "good morning team :sunny:", "hi :wave:", "morning all!"),
        *("ok help", "i need help", "help please", "\U0001f44b hi", "...hi"),
    ],
)
def test_greetings_as_people_type_them_get_the_introduction(said: str) -> None:
    """A greeting, however drawn out or spaced, is not a question."""
    assert is_greeting(said)


@pytest.mark.parametrize(
    "said",
    [
        "hi, what is an stpm?",
        "good morning, how do stpms stay current",
        "help me with stakeholders",
        "can you help with roadmaps",
    ],
)
def test_a_question_after_a_greeting_is_a_question(said: str) -> None:
    assert not is_greeting(said)


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("hi, what is an stpm?", "what is an stpm?"),
        ("Hi! What is an STPM?", "What is an STPM?"),
        ("good morning how do stpms stay current", "how do stpms stay current"),
        ("hey there, what does an stpm do", "what does an stpm do"),
        ("hey there what does an stpm do", "there what does an stpm do"),
        ("hiii what is an stpm", "what is an stpm"),
        ("hey all :wave: what do stpms own?", "what do stpms own?"),
        ("morning, what is an stpm", "what is an stpm"),
        # Not a greeting before a question: as asked.
        ("morning standup tips?", "morning standup tips?"),
        ("help me with stakeholders", "help me with stakeholders"),
        ("good stpm skills?", "good stpm skills?"),
        # Whom a greeting is said to only with a mark after it.
        ("hey, there are many tpms, which?", "there are many tpms, which?"),
        ("Hi, all hands tips?", "all hands tips?"),
        ("hello team building ideas", "team building ideas"),
        ("gm vs tpm: what is the difference?", "gm vs tpm: what is the difference?"),
        ("hello, there\u2019s a new stpm", "there\u2019s a new stpm"),
        ("hi all-hands tips?", "all-hands tips?"),
        ("hi all - what is an stpm", "what is an stpm"),
        ("hi", "hi"),
    ],
)
def test_the_greeting_before_a_question_is_not_what_it_asks(
    said: str, asked: str
) -> None:
    assert asked == past_greeting(said)


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("thanks!", "thanks"),
        ("Thank you so much :pray:", "thanks"),
        ("thanks, that helps a lot", "thanks"),
        ("thanksss", "thanks"),
        ("that's great, thx", "thanks"),
        ("bye", "bye"),
        ("ok thanks, bye!", "bye"),
        ("see ya", "bye"),
        ("cool", "ack"),
        ("coool", "ack"),
        ("got it", "ack"),
        ("makes sense", "ack"),
        ("sounds good", "ack"),
        ("all good, that helps", "ack"),
        ("thanks bot", "thanks"),
        ("thanks stpm bot!", "thanks"),
        ("thank u", "thanks"),
        ("much appreciated", "thanks"),
        ("appreciate it", "thanks"),
        ("no thanks", "thanks"),
        ("will do", "ack"),
        ("yes please", "ack"),
        ("i see", "ack"),
        ("nope", "ack"),
        ("no worries", "ack"),
        ("bye bot", "bye"),
        ("nope, all good", "ack"),
        ("no thanks, bye", "bye"),
        ("no, that's all, thanks", "thanks"),
        ("no thanks bot", "thanks"),
        ("no thanks, that helps", "thanks"),
        ("thanks for the help", "thanks"),
        ("makes no sense", "complaint"),
        ("no help", "complaint"),
        ("no good answer", "complaint"),
        ("that's wrong", "complaint"),
        ("huh?", "complaint"),
        ("nvm", "complaint"),
        ("that\u2019s wrong", "complaint"),
        ("doesn\u2019t help", "complaint"),
        ("nope that is not it", "complaint"),
        ("good answer", "ack"),
        ("thats not what i asked :confused:", "complaint"),
    ],
)
def test_a_message_that_asks_nothing_is_small_talk(said: str, kind: str) -> None:
    assert kind == small_talk(said)


@pytest.mark.parametrize(
    "said",
    [
        "thanks, what skills does an stpm need",
        "ok so what is an stpm",
        "cool?",
        "is it ok to ask about pay",
        "hi",
        ":+1:",
        "cloud",
        "thanks for the 2 tips",
        "help",
        "good stpm",
        "bot",
        "stpm",
        "will",
        "problem",
        "ok please help",
        "yes please help",
        "ok again please",
        "no use",
        "ok help",
        "whats wrong with my program",
        "what about cloud?",
    ],
)
def test_a_question_beside_thanks_or_ok_is_a_question(said: str) -> None:
    assert small_talk(said) is None
