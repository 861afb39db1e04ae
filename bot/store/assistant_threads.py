"""Threads in Slack's AI-app side panel: which they are, their context, their title."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.base import StoreBase
from bot.store.engine import hash_user, serialize
from bot.store.schema import PRUNE_LOCK, assistant_threads

CONTEXT_CHARS = 2000  # Slack sends a few ids; anything longer is not a context


def _context_column(context: dict[str, Any]) -> str:
    """The context as JSON, ids only (strings), never more than the column says."""
    kept = {str(k): str(v) for k, v in context.items() if isinstance(v, str)}
    text = json.dumps(kept, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= CONTEXT_CHARS else "{}"


class AssistantThreadsMixin(StoreBase):
    """Side-panel threads, keyed by their DM channel and thread ts."""

    def start_assistant_thread(
        self, channel: str, thread_ts: str, user: str, context: dict[str, Any]
    ) -> None:
        """Remember a thread Slack said was opened (a retried event: no change)."""
        now = self._now()
        row = {
            "channel": channel[:40],
            "thread_ts": thread_ts[:40],
            "user_hash": hash_user(user, self._salt),
            "context": _context_column(context),
            "started_at": now,
            "used_at": now,
        }
        try:
            with self._begin() as conn:
                conn.execute(insert(assistant_threads), row)
        except IntegrityError:
            pass  # already started

    def _thread(self, channel: str, thread_ts: str) -> Any:
        return (assistant_threads.c.channel == channel) & (
            assistant_threads.c.thread_ts == thread_ts
        )

    def is_assistant_thread(self, channel: str, thread_ts: str) -> bool:
        query = select(exists().where(self._thread(channel, thread_ts)))
        with self._connect() as conn:
            return bool(conn.execute(query).scalar())

    def save_assistant_context(
        self, channel: str, thread_ts: str, context: dict[str, Any]
    ) -> bool:
        """The context Slack sent last; False for a thread never started here.
        The thread counts as used now."""
        values = {"context": _context_column(context), "used_at": self._now()}
        query = update(assistant_threads).where(self._thread(channel, thread_ts))
        with self._begin() as conn:
            return bool(conn.execute(query.values(values)).rowcount)

    def use_assistant_thread(self, channel: str, thread_ts: str) -> None:
        """The bot answered in the thread: it is kept for another retention."""
        query = update(assistant_threads).where(self._thread(channel, thread_ts))
        with self._begin() as conn:
            conn.execute(query.values(used_at=self._now()))

    def assistant_context(self, channel: str, thread_ts: str) -> dict[str, str] | None:
        query = select(assistant_threads.c.context).where(
            self._thread(channel, thread_ts)
        )
        with self._connect() as conn:
            found = conn.execute(query).scalar()
        if found is None:
            return None
        loaded = json.loads(found)
        return {str(k): str(v) for k, v in loaded.items()}

    def claim_title(self, channel: str, thread_ts: str) -> bool:
        """True once per thread, for whoever titles it first (in any process)."""
        query = (
            update(assistant_threads)
            .where(
                self._thread(channel, thread_ts),
                assistant_threads.c.titled_at.is_(None),
            )
            .values(titled_at=self._now())
        )
        with self._begin() as conn:
            return bool(conn.execute(query).rowcount)

    def release_title(self, channel: str, thread_ts: str) -> None:
        """Titling failed: the next answered question tries again."""
        query = update(assistant_threads).where(self._thread(channel, thread_ts))
        with self._begin() as conn:
            conn.execute(query.values(titled_at=None))

    def forget_assistant_threads(self, age: dt.timedelta) -> int:
        """Forget threads last used more than `age` ago (the person's hash, the
        channel they were viewing); a message in one later is answered as in
        any DM thread. A row from before `used_at` counts from its opening.
        How many went."""
        cutoff = self._now() - age
        table = assistant_threads.c
        used = func.coalesce(table.used_at, table.started_at)
        query = delete(assistant_threads).where(used < cutoff)
        with self._begin() as conn:
            serialize(conn, PRUNE_LOCK)
            return int(conn.execute(query).rowcount)
