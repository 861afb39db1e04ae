"""👍 and 👎 on answers: one vote per person, and a 👎 kept as a gap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, insert, select

from bot.store.base import StoreBase
from bot.store.engine import hash_user, lock_key, serialize
from bot.store.records import Candidate, Reason, Vote, _candidates_column
from bot.store.schema import (
    PRUNE_LOCK,
    QUESTION_CHARS,
    expert_questions,
    feedback,
    feedback_reasons,
    unanswered,
)

REASON_NOTE_CHARS = 2000


class FeedbackMixin(StoreBase):
    """Votes on answers, one per person, answer and question."""

    def record_vote(
        self,
        question: str,
        entry_id: str,
        vote: int,
        user_id: str,
        candidates: Sequence[Candidate] = (),
    ) -> None:
        """One vote per person for an answer to a question; the latest wins.

        A 👎 is also a knowledge gap, recorded with `candidates` (what the
        retriever ranks for the question now); a later 👍 withdraws it.
        """
        user_hash = hash_user(user_id, self._salt)
        question = question[:QUESTION_CHARS]
        same = (
            (feedback.c.user_hash == user_hash)
            & (feedback.c.entry_id == entry_id)
            & (feedback.c.question == question)
        )
        same_gap = (
            (unanswered.c.source == "downvote")
            & (unanswered.c.user_hash == user_hash)
            & (unanswered.c.entry_id == entry_id)
            & (unanswered.c.question == question)
        )
        now = self._now()
        row = {"question": question, "entry_id": entry_id, "user_hash": user_hash}
        with self._begin() as conn:
            serialize(conn, lock_key("vote", user_hash, entry_id, question))
            conn.execute(delete(feedback).where(same))
            conn.execute(delete(unanswered).where(same_gap))
            conn.execute(
                insert(feedback),
                row | {"vote": 1 if vote > 0 else -1, "created_at": now},
            )
            if vote < 0:
                gap = {"source": "downvote", "asked_at": now}
                conn.execute(
                    insert(unanswered), row | gap | _candidates_column(candidates)
                )

    def votes(self, since: dt.datetime | None = None) -> list[Vote]:
        query = select(
            feedback.c.question,
            feedback.c.entry_id,
            feedback.c.vote,
            feedback.c.user_hash,
            feedback.c.created_at,
        ).order_by(feedback.c.id)
        if since is not None:
            query = query.where(feedback.c.created_at >= since)
        with self._connect() as conn:
            return [Vote(*row) for row in conn.execute(query)]

    def record_reason(
        self, question: str, entry_id: str, user_id: str, reason: str, note: str = ""
    ) -> None:
        """Why `user_id` found the answer not helpful (from the 👎 modal)."""
        row = {
            "question": question[:QUESTION_CHARS],
            "entry_id": entry_id[:80],
            "reason": reason[:40],
            "note": note[:REASON_NOTE_CHARS],
            "user_hash": hash_user(user_id, self._salt),
            "created_at": self._now(),
        }
        with self._begin() as conn:
            conn.execute(insert(feedback_reasons), row)

    def reasons(self, since: dt.datetime | None = None) -> list[Reason]:
        query = select(
            feedback_reasons.c.question,
            feedback_reasons.c.entry_id,
            feedback_reasons.c.reason,
            feedback_reasons.c.note,
        ).order_by(feedback_reasons.c.id)
        if since is not None:
            query = query.where(feedback_reasons.c.created_at >= since)
        with self._connect() as conn:
            return [Reason(*row) for row in conn.execute(query)]

    def forget_older_than(self, age: dt.timedelta) -> int:
        """Delete what people typed more than `age` ago: unanswered questions,
        votes with their question, 👎 reasons, questions for the experts (with
        their asker). Counts stay (they hold no text)."""
        cutoff = self._now() - age
        deleted = 0
        with self._begin() as conn:
            serialize(conn, PRUNE_LOCK)
            for table, column in (
                (unanswered, unanswered.c.asked_at),
                (feedback, feedback.c.created_at),
                (feedback_reasons, feedback_reasons.c.created_at),
                (expert_questions, expert_questions.c.asked_at),
            ):
                deleted += conn.execute(delete(table).where(column < cutoff)).rowcount
        return deleted
