"""Every question asked, counted, and those without a confident answer kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, insert, select

from bot.store.base import StoreBase
from bot.store.engine import hash_user
from bot.store.records import (
    Candidate,
    Gap,
    _aware,
    _candidates_column,
    _parse_candidates,
)
from bot.store.schema import GAP_SOURCES, QUESTION_CHARS, questions, unanswered


class QuestionsMixin(StoreBase):
    """The questions asked, by status, and the knowledge gaps."""

    def record_question(
        self,
        question: str,
        status: str,
        candidates: Sequence[Candidate],
        user_id: str | None = None,
    ) -> None:
        """Count every question; keep those without a confident answer as gaps."""
        now = self._now()
        best = candidates[0] if candidates else None
        counted = {
            "asked_at": now,
            "status": status,
            "entry_id": best.entry_id if best else None,
            "score": best.score if best else 0.0,
        }
        # The hash before the transaction: the first use of the key may write it.
        user_hash = hash_user(user_id, self._salt) if user_id else None
        with self._begin() as conn:
            conn.execute(insert(questions), counted)
            if status in GAP_SOURCES:
                gap = {
                    "question": question[:QUESTION_CHARS],
                    "entry_id": counted["entry_id"],
                    "source": status,
                    "user_hash": user_hash,
                    "asked_at": now,
                }
                conn.execute(insert(unanswered), gap | _candidates_column(candidates))

    def question_counts(self, since: dt.datetime | None = None) -> dict[str, int]:
        """How many questions got each status (answered, suggested, no_match)."""
        query = select(questions.c.status, func.count()).group_by(questions.c.status)
        if since is not None:
            query = query.where(questions.c.asked_at >= since)
        with self._connect() as conn:
            return {str(status): int(n) for status, n in conn.execute(query)}

    def gaps(self, since: dt.datetime | None = None) -> list[Gap]:
        query = select(
            unanswered.c.question,
            unanswered.c.candidates,
            unanswered.c.entry_id,
            unanswered.c.source,
            unanswered.c.user_hash,
            unanswered.c.asked_at,
        ).order_by(unanswered.c.id)
        if since is not None:
            query = query.where(unanswered.c.asked_at >= since)
        with self._connect() as conn:
            rows = conn.execute(query).all()
        return [
            Gap(q, _parse_candidates(c), e, s, u, _aware(t))
            for q, c, e, s, u, t in rows
        ]

    def popular_entries(
        self, limit: int, since: dt.datetime | None = None
    ) -> list[str]:
        """The entries that answered most questions, most first (ties: by id)."""
        count = func.count().label("n")
        query = (
            select(questions.c.entry_id, count)
            .where(questions.c.status == "answered", questions.c.entry_id.is_not(None))
            .group_by(questions.c.entry_id)
            .order_by(count.desc(), questions.c.entry_id)
            .limit(limit)
        )
        if since is not None:
            query = query.where(questions.c.asked_at >= since)
        with self._connect() as conn:
            return [str(entry) for entry, _ in conn.execute(query)]
