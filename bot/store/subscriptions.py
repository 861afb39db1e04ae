"""Which channels get a daily tip, at what local time, and which are paused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.settings import parse_hhmm
from bot.store.base import StoreBase
from bot.store.engine import hash_user
from bot.store.records import Subscription
from bot.store.schema import autoanswer_channels, tip_subscriptions


class SubscriptionsMixin(StoreBase):
    """Daily tips: one subscription per channel, from settings or from Slack."""

    def subscribe(self, channel: str, at: dt.time, source: str = "slack") -> None:
        """Tips on for `channel` at local time `at`; clears a pause."""
        now = self._now()
        values = {
            "post_time": at.strftime("%H:%M"),
            "active": True,
            "paused_reason": None,
            "source": source,
            "updated_at": now,
        }
        change = (
            update(tip_subscriptions)
            .where(tip_subscriptions.c.channel == channel)
            .values(values)
        )
        try:
            with self._begin() as conn:
                if not conn.execute(change).rowcount:
                    row = values | {"channel": channel, "created_at": now}
                    conn.execute(insert(tip_subscriptions), row)
        except IntegrityError:  # created by someone else meanwhile: change it
            with self._begin() as conn:
                conn.execute(change)

    def unsubscribe(self, channel: str) -> bool:
        """Tips off for `channel`; False if they weren't on."""
        query = (
            update(tip_subscriptions)
            .where(tip_subscriptions.c.channel == channel)
            .where(tip_subscriptions.c.active.is_(True))
            .values(
                active=False, paused_reason=None, source="slack", updated_at=self._now()
            )
        )
        with self._begin() as conn:
            return bool(conn.execute(query).rowcount)

    def pause(self, channel: str, reason: str) -> None:
        """Stop posting to `channel` until someone turns tips on there again."""
        query = (
            update(tip_subscriptions)
            .where(tip_subscriptions.c.channel == channel)
            .values(paused_reason=reason[:80], updated_at=self._now())
        )
        with self._begin() as conn:
            conn.execute(query)

    def seed_subscriptions(self, channels: Iterable[str], at: dt.time) -> list[str]:
        """Subscribe the configured channels. A channel already in the store
        keeps its state; if nobody changed it from Slack, it takes the time
        (and is on again if it had been taken out of the setting). When some
        channels are configured, one subscribed by the setting alone and no
        longer in it is unsubscribed (an operator who removed it means it;
        a process started without the setting changes nothing); those
        channels."""
        wanted = list(dict.fromkeys(channels))
        t = tip_subscriptions
        dropped = (t.c.source == "settings") & t.c.active & t.c.channel.not_in(wanted)
        gone: list[str] = []
        with self._begin() as conn:
            if wanted:
                gone = [c for (c,) in conn.execute(select(t.c.channel).where(dropped))]
            if gone:
                conn.execute(
                    update(t)
                    .where(dropped & t.c.channel.in_(gone))
                    .values(active=False, updated_at=self._now())
                )
        for channel in wanted:
            seeded = (tip_subscriptions.c.channel == channel) & (
                tip_subscriptions.c.source == "settings"
            )
            try:
                with self._begin() as conn:
                    conn.execute(
                        update(tip_subscriptions)
                        .where(seeded)
                        .values(post_time=at.strftime("%H:%M"), active=True)
                    )
                    if not self._subscriptions(conn, channel):
                        conn.execute(insert(tip_subscriptions), self._seed(channel, at))
            except IntegrityError:
                pass  # another process seeded it at the same moment
        return gone

    def _seed(self, channel: str, at: dt.time) -> dict[str, Any]:
        now = self._now()
        return {
            "channel": channel,
            "post_time": at.strftime("%H:%M"),
            "active": True,
            "paused_reason": None,
            "source": "settings",
            "created_at": now,
            "updated_at": now,
        }

    def subscription(self, channel: str) -> Subscription | None:
        with self._connect() as conn:
            found = self._subscriptions(conn, channel)
        return found[0] if found else None

    def subscriptions(self) -> list[Subscription]:
        """Every channel ever subscribed, on, off or paused."""
        with self._connect() as conn:
            return self._subscriptions(conn)

    def _subscriptions(
        self, conn: Connection, channel: str | None = None
    ) -> list[Subscription]:
        t = tip_subscriptions
        query = select(t.c.channel, t.c.post_time, t.c.active, t.c.paused_reason)
        if channel is not None:
            query = query.where(t.c.channel == channel)
        rows = conn.execute(query.order_by(t.c.channel)).all()
        return [Subscription(c, parse_hhmm(at), bool(a), r) for c, at, a, r in rows]


class AutoanswerMixin(StoreBase):
    """Help channels: answered without a mention (`/stpm autoanswer on|off`)."""

    def set_autoanswer(self, channel: str, enabled: bool, user: str) -> bool:
        """Switch `channel`; False if it already was so (nothing changed)."""
        if self.autoanswer(channel) == enabled:
            return False
        values = {
            "enabled": enabled,
            "changed_by_hash": hash_user(user, self._salt),
            "changed_at": self._now(),
        }
        key = autoanswer_channels.c.channel == channel
        change = update(autoanswer_channels).where(key).values(values)
        try:
            with self._begin() as conn:
                if not conn.execute(change).rowcount:
                    conn.execute(
                        insert(autoanswer_channels), values | {"channel": channel}
                    )
        except IntegrityError:  # switched by someone else meanwhile: ours wins
            with self._begin() as conn:
                conn.execute(change)
        return True

    def autoanswer(self, channel: str) -> bool:
        query = select(autoanswer_channels.c.enabled).where(
            autoanswer_channels.c.channel == channel
        )
        with self._connect() as conn:
            return bool(conn.execute(query).scalar())
