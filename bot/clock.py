"""The one clock: now, and today in the bot's configured zone.

Everything that asks "what day is it" (the tip of the day, the report's
window, review dates) asks a `Clock` it was handed, so the zone is
`STPM_BOT_TIMEZONE` everywhere and tests fix the instant instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Clock:
    """Aware instants from `now` (UTC), dates in `zone`."""

    def __init__(
        self, zone: dt.tzinfo, now: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.zone = zone
        self._now = now

    def now(self) -> dt.datetime:
        return self._now()

    def today(self) -> dt.date:
        """Today's date where the bot's users are (STPM_BOT_TIMEZONE)."""
        return self.local_date(self._now())

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.zone).date()

    @classmethod
    def fixed(cls, instant: dt.datetime, zone: dt.tzinfo = dt.UTC) -> Clock:
        """A clock that always says `instant` (tests, replays)."""
        return cls(zone, lambda: instant)
