"""When each channel's daily tip is due, and which tip it gets.

The tip of the day is a pure function of the date, so it is the same for
everyone, in the terminal and in Slack, and needs no stored state.

Pure functions of the subscriptions, the posted history and an instant, so
the tests need no clock and no sleeping. The instant is UTC; each channel's
time of day is local time in the configured zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.knowledge.models import Knowledge, Tip
from bot.settings import Settings
from bot.store.records import Subscription

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Policy:
    zone: dt.tzinfo = dt.UTC
    weekends: bool = False
    grace: dt.timedelta = dt.timedelta(minutes=120)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            zone=settings.zone,
            weekends=settings.tips_weekends,
            grace=dt.timedelta(minutes=settings.tips_grace_minutes),
        )

    def posting_day(self, date: dt.date) -> bool:
        return self.weekends or date.weekday() < 5

    def local_date(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.zone).date()

    def scheduled(self, date: dt.date, at: dt.time) -> dt.datetime:
        """The UTC instant of local time `at` on `date`."""
        return dt.datetime.combine(date, at, tzinfo=self.zone).astimezone(dt.UTC)


@dataclass(frozen=True, order=True)
class Due:
    date: dt.date
    channel: str


def due_now(
    subscriptions: Iterable[Subscription], now: dt.datetime, policy: Policy
) -> list[Due]:
    """The tips whose local time has come, at most `policy.grace` ago.

    Yesterday counts too, so a 23:30 tip missed by a short outage is still
    posted just after midnight. Whether a tip was already posted is the
    store's business (the claim), not this function's.
    """
    today = policy.local_date(now)
    found = []
    for sub in subscriptions:
        if not sub.receiving:
            continue
        for date in (today - DAY, today):
            start = policy.scheduled(date, sub.post_time)
            if policy.posting_day(date) and start <= now < start + policy.grace:
                found.append(Due(date, sub.channel))
    return sorted(found)


def due_on(
    subscriptions: Iterable[Subscription], date: dt.date, policy: Policy
) -> list[Due]:
    """Every receiving channel's tip for `date`, whatever the time of day
    (`stpm-bot post-tips`: the cron schedule is the time)."""
    if not policy.posting_day(date):
        return []
    return sorted(Due(date, s.channel) for s in subscriptions if s.receiving)


def next_tip(order: Sequence[str], history: Iterable[str]) -> str | None:
    """The tip a channel gets next: the first in `order` not yet posted in the
    current round, replayed from the channel's history (oldest first).

    A round ends when every current tip has been posted; a repeat also starts
    one (tips were removed or reordered since). Tips no longer in `order` are
    ignored and new ones join the round in progress, so a reload never makes
    a channel see a tip twice before it has seen all of them.
    """
    if not order:
        return None
    current = set(order)
    seen: set[str] = set()
    for tip in history:
        if tip not in current:
            continue
        if tip in seen:
            seen = set()
        seen.add(tip)
        if seen == current:
            seen = set()
    return next(tip for tip in order if tip not in seen)


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
