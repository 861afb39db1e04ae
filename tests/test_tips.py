from __future__ import annotations

import datetime as dt

import pytest
import yaml

from bot.answers.schedule import tip_for, tip_order
from bot.knowledge.loading import load
from bot.knowledge.models import Knowledge
from tests.support.paths import KNOWLEDGE_DIR

START = dt.date(2025, 1, 1)


def test_same_date_gives_the_same_tip(knowledge: Knowledge) -> None:
    """A date gives the same tip in every process (a fresh load of the files),
    and the next date another one."""
    fresh = load(KNOWLEDGE_DIR)
    assert tip_for(knowledge, START) == tip_for(fresh, dt.date(2025, 1, 1))
    assert tip_for(knowledge, START) != tip_for(fresh, dt.date(2025, 1, 2))


def test_consecutive_dates_show_every_tip_before_one_repeats(
    knowledge: Knowledge,
) -> None:
    """N consecutive days show N different tips; day N+1 starts the cycle again."""
    count = len(knowledge.tips)
    days = [START + dt.timedelta(days=i) for i in range(count + 1)]
    shown = [tip_for(knowledge, day).id for day in days]

    assert {t.id for t in knowledge.tips} == set(shown[:count])
    assert shown[0] == shown[count]


def test_the_rotation_follows_the_curators_order(knowledge: Knowledge) -> None:
    """Tips rotate in the order they are written in the knowledge files."""
    order = tip_order(knowledge)
    day = dt.date.fromordinal(len(order) * 1000)  # ordinal % count == 0
    written = [
        tip["id"]
        for path in sorted(KNOWLEDGE_DIR.glob("*.yaml"))
        for tip in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(
            "tips", []
        )
    ]

    assert written == [t.id for t in order]
    assert [t.id for t in order[:3]] == [
        tip_for(knowledge, day + dt.timedelta(days=i)).id for i in range(3)
    ]


def test_no_tips_is_a_lookup_error() -> None:
    """Knowledge without tips has no tip of the day."""
    with pytest.raises(LookupError):
        tip_for(Knowledge.of([]), START)
