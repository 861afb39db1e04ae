"""When a channel's tip is due and which tip it gets: pure functions, no clock."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from bot.answers.schedule import Due, Policy, due_now, due_on, next_tip
from bot.store.records import Subscription

MONDAY = dt.date(2030, 1, 7)
SATURDAY = dt.date(2030, 1, 12)
NINE = dt.time(9, 0)
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def at(
    date: dt.date, hour: int, minute: int = 0, zone: dt.tzinfo = dt.UTC
) -> dt.datetime:
    return dt.datetime(date.year, date.month, date.day, hour, minute, tzinfo=zone)


def test_a_tip_is_due_from_its_time_until_the_grace_period_ends() -> None:
    """09:00 with 120 minutes' grace: due 09:00 to 10:59, not before, not after."""
    subs = [Subscription("C1", NINE)]
    policy = Policy(grace=dt.timedelta(minutes=120))
    assert [] == due_now(subs, at(MONDAY, 8, 59), policy)
    assert [Due(MONDAY, "C1")] == due_now(subs, at(MONDAY, 9, 0), policy)
    assert [Due(MONDAY, "C1")] == due_now(subs, at(MONDAY, 10, 59), policy)
    assert [] == due_now(subs, at(MONDAY, 11, 0), policy)


def test_weekends_only_when_enabled() -> None:
    """Saturday's tip is due only with STPM_BOT_TIPS_WEEKENDS."""
    subs = [Subscription("C1", NINE)]
    assert [] == due_now(subs, at(SATURDAY, 9, 30), Policy())
    weekends = Policy(weekends=True)
    assert [Due(SATURDAY, "C1")] == due_now(subs, at(SATURDAY, 9, 30), weekends)
    assert [] == due_on(subs, SATURDAY, Policy())
    assert [Due(SATURDAY, "C1")] == due_on(subs, SATURDAY, weekends)


def test_times_are_local_to_the_configured_zone() -> None:
    """09:00 in Berlin is 08:00 UTC in winter; the date is Berlin's date."""
    subs = [Subscription("C1", NINE)]
    policy = Policy(zone=BERLIN)
    assert [] == due_now(subs, at(MONDAY, 7, 59), policy)
    assert [Due(MONDAY, "C1")] == due_now(subs, at(MONDAY, 8, 0), policy)


def test_a_late_evening_tip_missed_before_midnight_is_posted_after_it() -> None:
    """23:30 with 2 hours' grace: at 00:30 the next day, yesterday's tip is due."""
    subs = [Subscription("C1", dt.time(23, 30))]
    tuesday = MONDAY + dt.timedelta(days=1)
    assert [Due(MONDAY, "C1")] == due_now(subs, at(tuesday, 0, 30), Policy())


def test_only_receiving_channels_are_due() -> None:
    """Channels that stopped tips or were paused by Slack get nothing."""
    subs = [
        Subscription("C1", NINE),
        Subscription("C2", NINE, active=False),
        Subscription("C3", NINE, paused_reason="not_in_channel"),
    ]
    assert [Due(MONDAY, "C1")] == due_now(subs, at(MONDAY, 9, 5), Policy())
    assert [Due(MONDAY, "C1")] == due_on(subs, MONDAY, Policy())


def test_post_tips_for_a_date_ignores_the_time_of_day() -> None:
    """`due_on` (post-tips) includes channels whose time is later that day."""
    subs = [Subscription("C2", dt.time(17, 0)), Subscription("C1", NINE)]
    assert [Due(MONDAY, "C1"), Due(MONDAY, "C2")] == due_on(subs, MONDAY, Policy())


def test_every_tip_comes_once_before_any_repeats() -> None:
    """Replaying a channel's history: a, b, c, then a again."""
    order = ["a", "b", "c"]
    history: list[str] = []
    for _ in range(7):
        history.append(next_tip(order, history) or "")
    assert ["a", "b", "c", "a", "b", "c", "a"] == history


def test_a_tip_added_mid_round_joins_it_without_a_repeat() -> None:
    """After a, b: new tip z is shown before anything repeats, c too."""
    history = ["a", "b"]
    order = ["a", "z", "b", "c"]
    for _ in range(2):
        history.append(next_tip(order, history) or "")
    assert {"z", "c"} == set(history[2:])
    assert "a" == next_tip(order, history)


def test_a_removed_tip_is_skipped_and_forgotten() -> None:
    """History with a tip that no longer exists still ends the round correctly."""
    assert "c" == next_tip(["a", "b", "c"], ["a", "gone", "b"])
    assert "a" == next_tip(["a", "b"], ["a", "gone", "b"])


def test_no_tips_means_nothing_to_post() -> None:
    """Knowledge without tips: no tip, not an error."""
    assert None is next_tip([], ["a"])
