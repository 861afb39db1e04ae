"""The one clock: dates in the bot's zone, instants in UTC."""

from __future__ import annotations

import datetime as dt

from bot.clock import Clock
from bot.settings import Settings

NOON_UTC = dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)


def zone(name: str) -> dt.tzinfo:
    return Settings(_env_file=None, timezone=name).zone


def test_today_is_the_date_in_the_bots_time_zone() -> None:
    """Far east of UTC it is already tomorrow, far west still today."""
    east = Clock(zone("Pacific/Kiritimati"), lambda: NOON_UTC).today()
    west = Clock(zone("Pacific/Pago_Pago"), lambda: NOON_UTC).today()
    late = dt.datetime(2030, 1, 1, 23, tzinfo=dt.UTC)

    assert (dt.date(2030, 1, 2), dt.date(2030, 1, 1)) == (east, west)
    assert dt.date(2029, 12, 31) == Clock(zone("Pacific/Pago_Pago")).local_date(
        dt.datetime(2030, 1, 1, 5, tzinfo=dt.UTC)
    )
    assert dt.date(2030, 1, 2) == Clock(zone("Asia/Tokyo")).local_date(late)


def test_a_fixed_clock_always_says_its_instant() -> None:
    """`Clock.fixed` is what tests and `--date` use: no sleeping, no drift."""
    clock = Clock.fixed(NOON_UTC)
    assert (NOON_UTC, NOON_UTC.date()) == (clock.now(), clock.today())
