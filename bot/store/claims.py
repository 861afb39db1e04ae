"""Claims on Slack events, and what the conversations the bot answered in are about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.base import StoreBase
from bot.store.engine import hash_user, serialize
from bot.store.records import Topic
from bot.store.schema import PRUNE_LOCK, processed_events, thread_topics

# Claims with this prefix are never pruned: things done once per person ever
# (a welcome), not once per Slack retry window.
KEEP = "keep:"
# The asker of a thread told to stop answering: no one (a person's is a
# hex digest).
STOPPED = "stopped"


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

    def claim_unless_recent(self, key: str, within: dt.timedelta) -> bool:
        """True for the first caller to claim `key`, or the first to renew a
        claim on it older than `within` (a click again minutes later, not a
        double-click); the update's condition is the arbiter, in any process."""
        now = self._now()
        row = {"event_key": key[:200], "claimed_at": now}
        try:
            with self._begin() as conn:
                conn.execute(insert(processed_events), row)
            return True
        except IntegrityError:
            pass
        renew = (
            update(processed_events)
            .where(
                processed_events.c.event_key == key[:200],
                processed_events.c.claimed_at < now - within,
            )
            .values(claimed_at=now)
        )
        with self._begin() as conn:
            return bool(conn.execute(renew).rowcount == 1)

    def claimed(self, key: str) -> bool:
        """Whether `key` is claimed (by anyone, in any process)."""
        query = select(processed_events.c.event_key).where(
            processed_events.c.event_key == key[:200]
        )
        with self._connect() as conn:
            return conn.execute(query).first() is not None

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
            serialize(conn, PRUNE_LOCK)
            result = conn.execute(
                delete(processed_events).where(
                    processed_events.c.claimed_at < cutoff,
                    ~processed_events.c.event_key.startswith(KEEP),
                )
            )
        return result.rowcount

    # -- what a conversation is about ---------------------------------------

    def remember_topic(
        self,
        channel: str,
        thread_ts: str,
        entry_id: str,
        asker: str,
        shown: Iterable[str] = (),
    ) -> None:
        """The conversation (`thread_ts` "" for a DM) is now about `entry_id`,
        asked by `asker`; `shown`: what "tell me more" showed of it. A
        thread told to stop (`stop_thread`) stays stopped: its topic moves
        on, but nobody's messages there are follow-ups again."""
        self._save_topic(
            channel, thread_ts, entry_id, hash_user(asker, self._salt), shown
        )

    def stop_thread(self, channel: str, thread_ts: str) -> None:
        """*Stop answering here*: from now on only mentions are answered in
        the thread, whatever is answered there after."""
        self._save_topic(channel, thread_ts, "", STOPPED)

    def _save_topic(
        self,
        channel: str,
        thread_ts: str,
        entry_id: str,
        asker_hash: str,
        shown: Iterable[str] = (),
    ) -> None:
        key = (thread_topics.c.channel == channel) & (
            thread_topics.c.thread_ts == thread_ts
        )
        values = {
            "entry_id": entry_id[:200],
            "shown": " ".join(dict.fromkeys(shown)),
            "asker_hash": asker_hash,
            "updated_at": self._now(),
        }
        stays = case((thread_topics.c.asker_hash == STOPPED, STOPPED), else_=asker_hash)
        with self._begin() as conn:
            changed = update(thread_topics).where(key).values(values)
            if conn.execute(changed.values(asker_hash=stays)).rowcount:
                return
        try:
            with self._begin() as conn:
                row = {"channel": channel, "thread_ts": thread_ts, **values}
                conn.execute(insert(thread_topics), row)
        except IntegrityError:  # another process inserted it first: update
            with self._begin() as conn:
                changed = update(thread_topics).where(key).values(values)
                conn.execute(changed.values(asker_hash=stays))

    def topic_of(self, channel: str, thread_ts: str) -> Topic | None:
        """What the conversation is about, if the bot answered in it."""
        query = select(
            thread_topics.c.entry_id, thread_topics.c.shown, thread_topics.c.asker_hash
        ).where(
            thread_topics.c.channel == channel, thread_topics.c.thread_ts == thread_ts
        )
        with self._connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return Topic(row.entry_id, tuple(row.shown.split()), row.asker_hash)

    def advance_topic(
        self, channel: str, thread_ts: str, topic: Topic, shown: Iterable[str]
    ) -> bool:
        """Record that "tell me more" shows `shown` of `topic` now, if nobody
        moved the conversation on since `topic` was read (one conditional
        update): two "tell me more"s at once never show one entry twice."""
        was = " ".join(dict.fromkeys(topic.shown))
        moved = (
            update(thread_topics)
            .where(
                thread_topics.c.channel == channel,
                thread_topics.c.thread_ts == thread_ts,
                thread_topics.c.entry_id == topic.entry_id,
                thread_topics.c.shown == was,
            )
            .values(shown=" ".join(dict.fromkeys(shown)), updated_at=self._now())
        )
        with self._begin() as conn:
            return bool(conn.execute(moved).rowcount)

    def asked_by(self, topic: Topic, user: str) -> bool:
        return topic.asker_hash == hash_user(user, self._salt)

    def forget_conversations(self, age: dt.timedelta) -> int:
        """Forget conversations the bot answered in that have been quiet for
        more than `age` (what each was about, who asked, as a hash): a
        follow-up there afterwards needs a mention. How many rows went."""
        cutoff = self._now() - age
        with self._begin() as conn:
            serialize(conn, PRUNE_LOCK)
            topics = conn.execute(
                delete(thread_topics).where(thread_topics.c.updated_at < cutoff)
            ).rowcount
        return int(topics)
