"""The tip of the day: a pure function of the date, so it is the same for
everyone, in the terminal and in Slack, and needs no stored state."""

from __future__ import annotations

import datetime as dt

from bot.knowledge import Knowledge, Tip


def tip_order(knowledge: Knowledge) -> tuple[Tip, ...]:
    """The rotation: tips in the order curators wrote them (files by name)."""
    return knowledge.tips


def tip_for(knowledge: Knowledge, date: dt.date) -> Tip:
    """The tip for `date`; consecutive dates go through every tip before one
    repeats. Raises `LookupError` when the knowledge has no tips."""
    tips = tip_order(knowledge)
    if not tips:
        raise LookupError("the knowledge has no tips")
    return tips[date.toordinal() % len(tips)]
