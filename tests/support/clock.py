"""A settable instant for code handed a clock: no sleeping in tests."""

from __future__ import annotations

import datetime as dt

from bot.clock import Clock


class SettableNow:
    """`now()` for a `Clock`; tests move it by assigning `.now`."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def clock(self, zone: dt.tzinfo = dt.UTC) -> Clock:
        return Clock(zone, self)
