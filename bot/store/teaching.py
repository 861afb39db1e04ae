"""What curators taught in Slack: pending until `stpm-bot knowledge apply`."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from bot.store.base import StoreBase
from bot.store.records import Change, _aware
from bot.store.schema import QUESTION_CHARS, knowledge_changes

PHRASING = "phrasing"
NEW_ENTRY = "entry"


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

    def changes(self, status: str | None = "pending") -> list[Change]:
        """Changes with `status` (None: all), oldest first."""
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
        if status is not None:
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

    def mark_pending(self, change_id: int) -> None:
        """An applied change that could not be written after all."""
        table = knowledge_changes
        query = (
            update(table)
            .where(table.c.id == change_id)
            .values(status="pending", applied_at=None)
        )
        with self._begin() as conn:
            conn.execute(query)

    def mark_applied(self, change_id: int) -> bool:
        """True if this call moved the change from pending to applied: the
        claim that lets two `apply` runs at once write each change once."""
        table = knowledge_changes
        query = (
            update(table)
            .where(table.c.id == change_id, table.c.status == "pending")
            .values(status="applied", applied_at=self._now())
        )
        with self._begin() as conn:
            return bool(conn.execute(query).rowcount)
