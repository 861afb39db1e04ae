"""The outbox: Slack requests acknowledged and not yet handled.

A request is written here before Slack gets its 200, so work that was
acknowledged outlives the process: the worker that finishes it deletes the
row; rows of a process that died (its lease ran out) are taken by another
process, or by the same one after a restart, and handled again. Leases are
renewed while a process lives (`renew`), so a slow backlog is never taken
twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.base import StoreBase
from bot.store.records import Pending, _aware
from bot.store.schema import outbox

LEASE = dt.timedelta(seconds=30)
RENEW_CHUNK = 500  # row ids per statement, well within SQLite's bound parameters


class NewRequest(NamedTuple):
    """A request to record: its key (unique while queued), body, headers."""

    key: str
    body: str
    headers: dict[str, list[str]]


class OutboxMixin(StoreBase):
    """Enqueue before the ack, finish after the work, resume after a crash."""

    def enqueue(
        self,
        key: str,
        body: str,
        headers: dict[str, list[str]],
        owner: str,
        lease: dt.timedelta = LEASE,
    ) -> int | None:
        """The new row's id, or None when `key` is already queued (Slack
        retried a request it is still waiting for)."""
        return self.enqueue_many([NewRequest(key, body, headers)], owner, lease)[0]

    def enqueue_many(
        self,
        requests: Sequence[NewRequest],
        owner: str,
        lease: dt.timedelta = LEASE,
    ) -> list[int | None]:
        """`enqueue` for several requests in one transaction (one commit):
        each new row's id, or None for a key already queued, in order. The
        transaction fails, and so none is recorded, or all are."""
        now = self._now()
        build = (
            postgresql.insert
            if self.engine.dialect.name == "postgresql"
            else sqlite.insert
        )
        statement = (
            build(outbox)
            .on_conflict_do_nothing(index_elements=[outbox.c.request_key])
            .returning(outbox.c.id)
        )
        ids: list[int | None] = []
        with self._begin(urgent=True) as conn:
            for request in requests:
                row = {
                    "request_key": request.key[:200],
                    "body": request.body,
                    "headers": json.dumps(request.headers),
                    "created_at": now,
                    "lease_until": now + lease,
                    "owner": owner,
                    "attempts": 1,
                }
                found = conn.execute(statement, row).scalar()
                ids.append(None if found is None else int(found))
        return ids

    def finish(self, row_id: int, owner: str | None = None) -> None:
        """Delete `row_id`: its work is done. With `owner`, only while that
        owner holds it (a row another process took up is that process's)."""
        where: list[ColumnElement[bool]] = [outbox.c.id == row_id]
        if owner is not None:
            where.append(outbox.c.owner == owner)
        with self._begin() as conn:
            conn.execute(delete(outbox).where(*where))

    def renew(
        self, owner: str, rows: Collection[int], lease: dt.timedelta = LEASE
    ) -> set[int]:
        """Extend the leases of `rows` that `owner` holds: it is alive and on
        them. Which were renewed: the others were taken up by another
        process, or done. Its other rows (a batch whose commit was reported
        failed, say) are let run out, so someone takes them up."""
        ids = sorted(rows)
        renewed: set[int] = set()
        with self._begin() as conn:
            for start in range(0, len(ids), RENEW_CHUNK):
                result = conn.execute(
                    update(outbox)
                    .where(
                        outbox.c.owner == owner,
                        outbox.c.id.in_(ids[start : start + RENEW_CHUNK]),
                    )
                    .values(lease_until=self._now() + lease)
                    .returning(outbox.c.id)
                )
                renewed.update(int(i) for i in result.scalars())
        return renewed

    def take_expired(
        self, owner: str, limit: int = 50, lease: dt.timedelta = LEASE
    ) -> list[Pending]:
        """Rows whose lease ran out, now leased to `owner`. Each row is taken
        by one process: the update succeeds only if nobody took it first."""
        now = self._now()
        query = (
            select(outbox)
            .where(outbox.c.lease_until < now)
            .order_by(outbox.c.id)
            .limit(limit)
        )
        with self._connect() as conn:
            rows = conn.execute(query).all()
        taken = []
        for row in rows:
            with self._begin() as conn:
                won = conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id, outbox.c.owner == row.owner)
                    .where(outbox.c.lease_until == row.lease_until)
                    .values(
                        owner=owner,
                        lease_until=now + lease,
                        attempts=row.attempts + 1,
                    )
                ).rowcount
            if won:
                headers = json.loads(row.headers)
                taken.append(
                    Pending(
                        row.id,
                        row.body,
                        headers,
                        row.attempts + 1,
                        _aware(row.created_at),
                    )
                )
        return taken

    def backlog(self) -> tuple[int, dt.datetime | None]:
        """How many requests wait, and since when the oldest."""
        query = select(func.count(), func.min(outbox.c.created_at)).select_from(outbox)
        with self._connect() as conn:
            count, oldest = conn.execute(query).one()
        return int(count), _aware(oldest) if oldest else None

    def forget_requests(self, ids: Iterable[int], owner: str | None = None) -> None:
        """Drop rows that will never be handled (given up), or whose work is
        done; with `owner`, only those that owner still holds."""
        unique = list(dict.fromkeys(ids))
        where: list[ColumnElement[bool]] = [outbox.c.id.in_(unique)]
        if owner is not None:
            where.append(outbox.c.owner == owner)
        with self._begin() as conn:
            conn.execute(delete(outbox).where(*where))
