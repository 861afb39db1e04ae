"""Claims on Slack events, and the threads the bot has answered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.exc import IntegrityError

from bot.store.base import StoreBase
from bot.store.schema import answered_threads, processed_events


class ClaimsMixin(StoreBase):
    """Which Slack events are taken and which threads were answered."""

    # -- processed events -------------------------------------------------

    def claim(self, keys: Iterable[str]) -> bool:
        """True for the first caller to claim every one of `keys`, in any process.

        The primary key makes the insert the arbiter, so a retried event or a
        second process racing on the same event never both get `True`.
        """
        now = self._now()
        rows = [{"event_key": k[:200], "claimed_at": now} for k in dict.fromkeys(keys)]
        if not rows:
            return True
        try:
            with self._begin() as conn:
                conn.execute(insert(processed_events), rows)
        except IntegrityError:
            return False
        return True

    def release(self, keys: Iterable[str]) -> None:
        """Give up claims whose work failed, so a retry can claim them again."""
        unique = [k[:200] for k in dict.fromkeys(keys)]
        with self._begin() as conn:
            conn.execute(
                delete(processed_events).where(processed_events.c.event_key.in_(unique))
            )

    def prune_events(self, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
        """Forget claims Slack can no longer retry (it retries for minutes)."""
        cutoff = self._now() - older_than
        with self._begin() as conn:
            result = conn.execute(
                delete(processed_events).where(processed_events.c.claimed_at < cutoff)
            )
        return result.rowcount

    # -- answered threads -------------------------------------------------

    def remember_thread(self, channel: str, thread_ts: str) -> None:
        row = {"channel": channel, "thread_ts": thread_ts, "answered_at": self._now()}
        try:
            with self._begin() as conn:
                conn.execute(insert(answered_threads), row)
        except IntegrityError:
            pass  # already remembered

    def answered_in(self, channel: str, thread_ts: str) -> bool:
        query = select(
            exists().where(
                answered_threads.c.channel == channel,
                answered_threads.c.thread_ts == thread_ts,
            )
        )
        with self._connect() as conn:
            return bool(conn.execute(query).scalar())
