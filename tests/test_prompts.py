"""Suggested prompts: popular entries, the knowledge's openings, today's tip."""

from __future__ import annotations

import pytest

from bot.answers.prompts import (
    MAX_PROMPTS,
    TIP_PROMPT,
    Prompt,
    asks_for_tip,
    openings,
    suggested,
)
from bot.compose import Core
from bot.knowledge.models import Knowledge


def test_popular_entries_lead_then_openings_then_the_tip(knowledge: Knowledge) -> None:
    """Gone ids are skipped, none twice, four at most, the tip last."""
    first = openings(knowledge)[0]
    prompts = suggested(
        knowledge, ["skill-cloud", "gone-since", first.id], knowledge.tips[0]
    )
    cloud = knowledge.by_id["skill-cloud"]
    assert MAX_PROMPTS == len(prompts)
    assert Prompt(cloud.title, cloud.questions[0]) == prompts[0]
    assert first.title == prompts[1].title
    assert len({p.title for p in prompts}) == len(prompts)
    assert Prompt("Today's tip", TIP_PROMPT) == prompts[-1]


def test_without_tips_or_history_the_openings_fill_every_place(
    knowledge: Knowledge,
) -> None:
    """A new deployment with no tips: the first four files' subjects."""
    prompts = suggested(knowledge, [], None)
    assert [e.title for e in openings(knowledge)[:MAX_PROMPTS]] == [
        p.title for p in prompts
    ]


def test_each_opening_prompt_is_answered_with_its_entry(
    knowledge: Knowledge, core: Core
) -> None:
    """A prompt sends a question the bot answers with the entry it names."""
    titles = {e.title: e.id for e in knowledge.entries}
    for prompt in suggested(knowledge, [], None):
        best = core.answerer.retrieve(prompt.message).result.best
        assert best is not None and titles[prompt.title] == best.entry.id, prompt


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        (TIP_PROMPT, True),
        ("today's tip", True),
        ("Today\u2019s tip!", True),
        ("tip of the day please", True),
        ("give me a tip", True),
        ("what is a good tip for stakeholder updates?", False),
        ("tips off", False),
        ("", False),
    ],
)
def test_a_request_for_the_tip_is_told_from_questions(text: str, asked: bool) -> None:
    """Only a request for the tip itself, not a question that mentions tips."""
    assert asked == asks_for_tip(text)
