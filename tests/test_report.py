"""The knowledge-gap report on a recorded set of questions and votes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bot.answers import gaps as report
from bot.compose import Core
from bot.store.database import Store
from bot.store.engine import engine_for
from tests.support.clock import SettableNow
from tests.support.core import make_core

ANSWERED = (
    "how important is cybersecurity for an stpm",
    "what does a senior tpm do",
    "how important is cloud computing for an stpm",
)
WIFI = ("what is the wifi password", "whats the wifi password?", "wifi password pls")
PARKING = ("where can I park my car", "where do I park the car")


@pytest.fixture
def clock() -> SettableNow:
    return SettableNow(dt.datetime(2030, 1, 7, 12, tzinfo=dt.UTC))


@pytest.fixture
def recorded(core: Core, clock: SettableNow) -> Iterator[Core]:
    """The real retriever answering a set of questions into an in-memory store."""
    store = Store(engine_for("sqlite://"), now=clock)
    store.create_schema()
    counted = make_core(core.library.snapshot().knowledge, store=store)
    for question in (*ANSWERED, *WIFI, *PARKING, "xyzzy plugh"):
        counted.answerer.answer(question, "U1")
    for question, entry, vote, user in (
        ("is cloud important?", "skill-cloud", -1, "U1"),
        ("is cloud important?", "skill-cloud", -1, "U2"),
        ("what does a tpm do", "role-definition", -1, "U1"),
        ("what does a tpm do", "role-definition", 1, "U2"),
    ):
        near = counted.answerer.retrieve(question).candidates
        store.record_vote(question, entry, vote, user, near)  # as the 👎 button does
    yield counted
    store.close()


def _build(core: Core, since: dt.date | None = None) -> report.GapReport:
    return report.build(core.store, core.library.snapshot().knowledge, since)


def test_unanswered_questions_are_grouped_by_similarity(recorded: Core) -> None:
    """Three wordings of the wifi question are one group, and the first."""
    groups = _build(recorded).groups
    wordings = [{g.question, *g.examples} for g in groups]
    assert (3, set(WIFI)) == (groups[0].count, wordings[0])
    assert set(PARKING) in wordings
    assert {"xyzzy plugh"} in wordings


def test_thumbs_down_questions_are_gaps_too(recorded: Core) -> None:
    """A 👎'd answer left its question unanswered: it is listed, as a downvote."""
    [cloud] = [
        g for g in _build(recorded).groups if g.question == "is cloud important?"
    ]
    assert cloud.nearest is not None
    assert ({"downvote": 2}, "skill-cloud") == (cloud.sources, cloud.nearest.entry_id)


def test_answered_and_not_answered_rates_count_every_question(
    recorded: Core,
) -> None:
    """Rates are over every question asked, from the store's counts."""
    data = report.as_json(_build(recorded))["questions"]
    assert len(ANSWERED) + len(WIFI) + len(PARKING) + 1 == data["total"]
    assert len(ANSWERED) == data["answered"]
    assert round(len(ANSWERED) / data["total"], 4) == data["answered_rate"]
    assert 1.0 == round(data["answered_rate"] + data["not_answered_rate"], 4)


def test_entries_with_the_most_thumbs_down_come_first(recorded: Core) -> None:
    """skill-cloud (2 👎) before role-definition (1 👎, 1 👍), with the questions."""
    downvoted = report.as_json(_build(recorded))["downvoted"]
    assert [("skill-cloud", 2, 0), ("role-definition", 1, 1)] == [
        (d["id"], d["down"], d["up"]) for d in downvoted
    ]
    assert ["is cloud important?"] == downvoted[0]["questions"]


def test_since_leaves_out_older_questions(recorded: Core, clock: SettableNow) -> None:
    """--since the next day: only what was asked from then on."""
    clock.now += dt.timedelta(days=1)
    recorded.answerer.answer("where is the canteen")
    data = report.as_json(_build(recorded, since=clock.now.date()))
    assert 1 == data["questions"]["total"]
    assert ["where is the canteen"] == [g["question"] for g in data["unanswered"]]
    assert [] == data["downvoted"]


def test_the_text_report_names_the_groups_and_rates(recorded: Core) -> None:
    """The printed report: counts, percentages, the top group, the 👎 entries."""
    text = "\n".join(report.lines(_build(recorded)))
    assert "Questions: 9; answered 3 (33%), not answered 6 (67%" in text
    assert "3 asked “" in text
    assert "2 👎, 0 👍: skill-cloud" in text
