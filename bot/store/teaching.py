"""What curators taught in Slack: pending until `stpm-bot knowledge apply`.

A change goes pending -> claimed by one `apply` ("applying:" and who) ->
applied, and is marked applied only once it is in the files. A claim left by
a run that stopped half-way is taken over: at once by the next run on the
same machine and folder (which holds the folder's lock, so the claimer is
gone), after `stale_after` by any other.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, or_, select, update

from bot.store.base import StoreBase
from bot.store.records import Change, _aware
from bot.store.schema import QUESTION_CHARS, knowledge_changes

PHRASING = "phrasing"
NEW_ENTRY = "entry"
PENDING = "pending"
APPLIED = "applied"
CLAIMED = "applying:"  # and the claimer's 7 characters: the column holds 16


class TeachingMixin(StoreBase):
    """Knowledge changes, pending and applied."""

    def teach(
        self,
        kind: str,
        entry_id: str,
        question: str,
        taught_by: str,
        *,
        title: str | None = None,
        answer: str | None = None,
    ) -> int:
        """Keep a change as pending; its id."""
        row = {
            "kind": kind,
            "entry_id": entry_id[:80],
            "title": title[:150] if title is not None else None,
            "answer": answer,
            "question": question[:QUESTION_CHARS],
            "taught_by": taught_by[:40],
            "taught_at": self._now(),
            "status": "pending",
        }
        with self._begin() as conn:
            result = conn.execute(insert(knowledge_changes), row)
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def changes(self, status: str | None = PENDING) -> list[Change]:
        """Changes with `status` (None: all; `CLAIMED`: every claimed one),
        oldest first."""
        table = knowledge_changes
        query = select(
            table.c.id,
            table.c.kind,
            table.c.entry_id,
            table.c.title,
            table.c.answer,
            table.c.question,
            table.c.taught_by,
            table.c.taught_at,
            table.c.status,
            table.c.applied_at,
        ).order_by(table.c.id)
        if status == CLAIMED:
            query = query.where(table.c.status.startswith(CLAIMED))
        elif status is not None:
            query = query.where(table.c.status == status)
        with self._connect() as conn:
            rows = list(conn.execute(query))
        return [
            Change(
                *row[:7],
                _aware(row.taught_at),
                row.status,
                _aware(row.applied_at) if row.applied_at else None,
            )
            for row in rows
        ]

    def unapplied(self) -> list[Change]:
        """Pending and claimed changes, oldest first: what `apply` looks at."""
        return sorted(self.changes() + self.changes(CLAIMED), key=lambda c: c.id)

    def claim_change(
        self, change_id: int, claimer: str, stale_after: dt.timedelta
    ) -> bool:
        """True if `claimer` may write the change now: it was pending, or
        claimed by `claimer` itself (a run of it that stopped), or claimed by
        another longer than `stale_after` ago. The claim's time is kept in
        `applied_at` until the change is applied."""
        table = knowledge_changes
        mine = f"{CLAIMED}{claimer}"[:16]
        stale = self._now() - stale_after
        query = (
            update(table)
            .where(
                table.c.id == change_id,
                or_(
                    table.c.status == PENDING,
                    table.c.status == mine,
                    table.c.status.startswith(CLAIMED) & (table.c.applied_at < stale),
                ),
            )
            .values(status=mine, applied_at=self._now())
        )
        with self._begin() as conn:
            return bool(conn.execute(query).rowcount)

    def mark_pending(self, change_id: int) -> None:
        """A claimed change that could not be written after all."""
        table = knowledge_changes
        query = (
            update(table)
            .where(table.c.id == change_id, table.c.status.startswith(CLAIMED))
            .values(status=PENDING, applied_at=None)
        )
        with self._begin() as conn:
            conn.execute(query)

    def mark_applied(self, change_id: int) -> bool:
        """The change is in the knowledge files: True if this call said so
        first (it was pending or claimed)."""
        table = knowledge_changes
        query = (
            update(table)
            .where(table.c.id == change_id, table.c.status != APPLIED)
            .values(status=APPLIED, applied_at=self._now())
        )
        with self._begin() as conn:
            return bool(conn.execute(query).rowcount)
