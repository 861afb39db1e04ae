"""Which channel's tip for which date was claimed, and whether it was posted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.base import StoreBase
from bot.store.records import PostedTip, _aware
from bot.store.schema import posted_tips, settled_tips


@dataclass(frozen=True)
class StaleClaim:
    """A tip's claim nobody confirmed: `at`, its last claim (what a takeover
    must find unchanged); `since`, its first (where a look for the post
    starts, however often it was taken over)."""

    at: dt.datetime
    since: dt.datetime


class PostedTipsMixin(StoreBase):
    """Daily tips: one claim per channel and local date, so one post."""

    def claim_tip(self, channel: str, date: dt.date, tip_id: str) -> bool:
        """True for the one caller, in any process, that may post `channel`'s
        tip for `date`. The primary key is the arbiter, as in `claim`."""
        now = self._now()
        row = {
            "channel": channel,
            "local_date": date,
            "tip_id": tip_id,
            "claimed_at": now,
            "posted_at": None,
            "first_claimed_at": now,
        }
        try:
            with self._begin() as conn:
                conn.execute(insert(posted_tips), row)
        except IntegrityError:
            return False
        return True

    def _tip_row(self, channel: str, date: dt.date) -> Any:
        return (posted_tips.c.channel == channel) & (posted_tips.c.local_date == date)

    def mark_tip_posted(self, channel: str, date: dt.date) -> None:
        query = (
            update(posted_tips)
            .where(self._tip_row(channel, date))
            .values(posted_at=self._now())
        )
        with self._begin() as conn:
            conn.execute(query)

    def release_tip(self, channel: str, date: dt.date) -> None:
        """Give up a claim whose post Slack refused, so a later look may retry."""
        query = delete(posted_tips).where(
            self._tip_row(channel, date) & posted_tips.c.posted_at.is_(None)
        )
        with self._begin() as conn:
            conn.execute(query)

    def claimed_tips(
        self, dates: Iterable[dt.date], posted_only: bool = False
    ) -> set[tuple[str, dt.date]]:
        """(channel, date) of every claim on `dates`, posted or not (or only
        those confirmed as posted)."""
        query = select(posted_tips.c.channel, posted_tips.c.local_date).where(
            posted_tips.c.local_date.in_(list(dates))
        )
        if posted_only:
            query = query.where(posted_tips.c.posted_at.is_not(None))
        with self._connect() as conn:
            return {(c, d) for c, d in conn.execute(query)}

    def stale_tip_claims(
        self, dates: Iterable[dt.date], older_than: dt.timedelta
    ) -> dict[tuple[str, dt.date], StaleClaim]:
        """Claims on `dates` never confirmed as posted and older than
        `older_than` (their process died, or never heard back from Slack):
        (channel, date) to when they were claimed, last and first."""
        cutoff = self._now() - older_than
        t, settled = posted_tips, settled_tips
        decided = exists().where(
            settled.c.channel == t.c.channel, settled.c.local_date == t.c.local_date
        )
        query = select(
            t.c.channel, t.c.local_date, t.c.claimed_at, t.c.first_claimed_at
        ).where(
            t.c.local_date.in_(list(dates)),
            t.c.posted_at.is_(None),
            t.c.claimed_at < cutoff,
            ~decided,
        )
        with self._connect() as conn:
            return {
                (c, d): StaleClaim(_aware(at), _aware(first or at))
                for c, d, at, first in conn.execute(query)
            }

    def tip_claim_ages(
        self, date: dt.date, channels: Iterable[str]
    ) -> dict[str, dt.timedelta]:
        """How old, by this store's clock, each of `channels`' claims on
        `date` not confirmed as posted is (what `stale_tip_claims` compares
        with its `older_than`), for the channels that have one."""
        t = posted_tips
        query = select(t.c.channel, t.c.claimed_at).where(
            t.c.local_date == date,
            t.c.channel.in_(list(channels)),
            t.c.posted_at.is_(None),
        )
        now = self._now()
        with self._connect() as conn:
            return {c: now - _aware(at) for c, at in conn.execute(query)}

    def take_over_tip(
        self, channel: str, date: dt.date, claimed_at: dt.datetime
    ) -> str | None:
        """Make a stale claim this caller's: its tip id for the one caller,
        in any process, whose update found it as it was; None for the rest."""
        t = posted_tips
        query = (
            update(t)
            .where(
                self._tip_row(channel, date),
                t.c.posted_at.is_(None),
                t.c.claimed_at == claimed_at,
            )
            # A row of an earlier version has no first claim: the claim it
            # took over is the earliest known.
            .values(
                claimed_at=self._now(),
                first_claimed_at=func.coalesce(t.c.first_claimed_at, t.c.claimed_at),
            )
        )
        with self._begin() as conn:
            if not conn.execute(query).rowcount:
                return None
            found = conn.execute(
                select(t.c.tip_id).where(self._tip_row(channel, date))
            ).scalar()
        return str(found) if found else None

    def settled_tips(self, dates: Iterable[dt.date]) -> dict[tuple[str, dt.date], str]:
        """(channel, date) to the outcome of each settled claim on `dates`."""
        t = settled_tips
        query = select(t.c.channel, t.c.local_date, t.c.outcome).where(
            t.c.local_date.in_(list(dates))
        )
        with self._connect() as conn:
            return {(c, d): outcome for c, d, outcome in conn.execute(query)}

    def settle_tip(self, channel: str, date: dt.date, outcome: str) -> None:
        """The claim's fate is decided (`failed`, `unknown`): not a stale one."""
        row = {
            "channel": channel,
            "local_date": date,
            "outcome": outcome,
            "settled_at": self._now(),
        }
        try:
            with self._begin() as conn:
                conn.execute(insert(settled_tips), row)
        except IntegrityError:
            pass  # already settled

    def posted_tips(self, channel: str | None = None) -> list[PostedTip]:
        """Every claim, oldest date first (a channel's rotation history)."""
        t = posted_tips
        query = select(t.c.channel, t.c.local_date, t.c.tip_id, t.c.posted_at)
        if channel is not None:
            query = query.where(t.c.channel == channel)
        with self._connect() as conn:
            rows = conn.execute(query.order_by(t.c.local_date, t.c.channel)).all()
        return [PostedTip(c, d, tip, at is not None) for c, d, tip, at in rows]
