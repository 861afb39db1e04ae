"""The knowledge being served and its retriever, as one swappable snapshot.

A question is ranked and its reply rendered from one `Snapshot`, so a hot
reload in between can never mix two versions of the knowledge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.knowledge.models import Knowledge
from bot.search.retriever import Retriever


@dataclass(frozen=True)
class Snapshot:
    knowledge: Knowledge
    retriever: Retriever


class Library:
    """Holds the current snapshot; `swap` replaces it whole (hot reload).

    Readers take `snapshot()` once per question and use only that; replacing
    the attribute is atomic, so no lock is needed.
    """

    def __init__(
        self, knowledge: Knowledge, build: Callable[[Knowledge], Retriever]
    ) -> None:
        self._build = build
        self._snapshot = Snapshot(knowledge, build(knowledge))

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def swap(self, knowledge: Knowledge) -> None:
        """Serve `knowledge` from now on, with a retriever built for it."""
        self._snapshot = Snapshot(knowledge, self._build(knowledge))
