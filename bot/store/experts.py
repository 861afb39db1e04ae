"""Questions passed to the experts: one pending per person, the first expert
reply relayed once, answered once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.base import StoreBase
from bot.store.records import ExpertQuestion
from bot.store.schema import QUESTION_CHARS, expert_questions

PENDING = "pending"
ANSWERED = "answered"
_COLUMNS = (
    expert_questions.c.id,
    expert_questions.c.question,
    expert_questions.c.entry_id,
    expert_questions.c.asker,
    expert_questions.c.channel,
    expert_questions.c.thread_ts,
    expert_questions.c.post_channel,
    expert_questions.c.post_ts,
    expert_questions.c.status,
    expert_questions.c.reply,
    expert_questions.c.answered_by,
)


class ExpertsMixin(StoreBase):
    """The experts' questions, from asked to answered."""

    def ask_experts(
        self,
        question: str,
        asker: str,
        post_channel: str,
        *,
        entry_id: str = "",
        channel: str = "",
        thread_ts: str = "",
    ) -> ExpertQuestion | None:
        """Record `asker`'s question as pending; None if they already have a
        pending one (the unique `pending_key` decides, in any process)."""
        row = {
            "question": question[:QUESTION_CHARS],
            "entry_id": entry_id[:80],
            "pending_key": self.user_hash(asker),
            "asker": asker[:40],
            "channel": channel[:40],
            "thread_ts": thread_ts[:40],
            "post_channel": post_channel[:40],
            "post_ts": "",
            "status": PENDING,
            "asked_at": self._now(),
        }
        try:
            with self._begin() as conn:
                result = conn.execute(insert(expert_questions), row)
                key = result.inserted_primary_key
                assert key is not None
                new_id = key[0]
        except IntegrityError:
            return None
        return self.expert_question(int(new_id))

    def expert_question(self, question_id: int) -> ExpertQuestion | None:
        query = select(*_COLUMNS).where(expert_questions.c.id == question_id)
        return self._one(query)

    def pending_question_of(self, asker: str) -> ExpertQuestion | None:
        """The question `asker` is still waiting on, if any."""
        key = self.user_hash(asker)
        query = select(*_COLUMNS).where(expert_questions.c.pending_key == key)
        return self._one(query)

    def expert_question_at(
        self, post_channel: str, post_ts: str
    ) -> ExpertQuestion | None:
        """The question the experts' post at `post_ts` carries."""
        query = select(*_COLUMNS).where(
            expert_questions.c.post_channel == post_channel,
            expert_questions.c.post_ts == post_ts,
        )
        return self._one(query) if post_ts else None

    def posted_to_experts(self, question_id: int, post_ts: str) -> None:
        with self._begin() as conn:
            conn.execute(
                update(expert_questions)
                .where(expert_questions.c.id == question_id)
                .values(post_ts=post_ts[:40])
            )

    def withdraw_expert_question(self, question_id: int) -> None:
        """Forget a question the experts never got (the post failed)."""
        with self._begin() as conn:
            conn.execute(
                delete(expert_questions).where(expert_questions.c.id == question_id)
            )

    def claim_reply(self, question_id: int, text: str) -> bool:
        """True for the first expert reply to a pending question: the one to
        relay. The conditional update is the claim, across replicas and
        restarts."""
        table = expert_questions
        query = (
            update(table)
            .where(
                table.c.id == question_id,
                table.c.replied_at.is_(None),
                table.c.status == PENDING,
            )
            .values(reply=text, replied_at=self._now())
        )
        with self._begin() as conn:
            return bool(conn.execute(query).rowcount)

    def release_reply(self, question_id: int) -> None:
        """The relay failed: the next expert reply may be relayed instead."""
        with self._begin() as conn:
            conn.execute(
                update(expert_questions)
                .where(expert_questions.c.id == question_id)
                .values(reply=None, replied_at=None)
            )

    def mark_answered(self, question_id: int, by: str) -> ExpertQuestion | None:
        """Close a pending question; the row as it was (with its asker, to be
        told) for the one caller that closed it, None for everyone else. The
        asker's id is not kept past this."""
        table = expert_questions
        before = self.expert_question(question_id)
        if before is None or before.status != PENDING:
            return None
        query = (
            update(table)
            .where(table.c.id == question_id, table.c.status == PENDING)
            .values(
                status=ANSWERED,
                answered_by=by[:40],
                answered_at=self._now(),
                pending_key=None,
                asker=None,
            )
        )
        with self._begin() as conn:
            if not conn.execute(query).rowcount:
                return None
        return before

    def _one(self, query: Select[Any]) -> ExpertQuestion | None:
        with self._connect() as conn:
            row = conn.execute(query).first()
        return ExpertQuestion(*row) if row is not None else None
