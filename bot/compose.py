"""The composition root: settings -> knowledge -> retriever -> store -> app."""

from __future__ import annotations

from bot.knowledge import loading as knowledge_files
from bot.knowledge.models import Knowledge
from bot.metrics import Metrics
from bot.search.retriever import Retriever, RetrieverConfig
from bot.settings import Settings
from bot.store.database import Store


class Services:
    """Everything a front end (terminal or Slack) needs, built once.

    The knowledge and its retriever are one snapshot that `swap` replaces
    whole (hot reload); readers that need both consistent take `snapshot()`.
    """

    def __init__(
        self,
        settings: Settings,
        knowledge: Knowledge,
        retriever: Retriever,
        store: Store | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        # None only where a front end never needs to remember anything (tests
        # of the terminal chat); `build` always makes one. Opening it is lazy.
        self.store = store
        self._snapshot = (knowledge, retriever)

    @property
    def knowledge(self) -> Knowledge:
        return self._snapshot[0]

    @property
    def retriever(self) -> Retriever:
        return self._snapshot[1]

    def snapshot(self) -> tuple[Knowledge, Retriever]:
        return self._snapshot

    def replace(
        self,
        *,
        retriever: Retriever | None = None,
        store: Store | None = None,
    ) -> Services:
        """A copy with another retriever or store (tests, one-off commands)."""
        knowledge, current = self._snapshot
        return Services(
            self.settings,
            knowledge,
            retriever or current,
            store or self.store,
            self.metrics,
        )

    def swap(self, knowledge: Knowledge) -> None:
        """Serve `knowledge` from now on, with a retriever built for it."""
        retriever = Retriever(knowledge, retriever_config(self.settings))
        self._snapshot = (knowledge, retriever)


def retriever_config(settings: Settings) -> RetrieverConfig:
    return RetrieverConfig(
        answer_threshold=settings.answer_threshold,
        suggest_threshold=settings.suggest_threshold,
        answer_margin=settings.answer_margin,
        max_suggestions=settings.max_suggestions,
        max_question_chars=settings.max_question_chars,
        index_workers=settings.index_workers,
    )


def build(settings: Settings) -> Services:
    """Load and validate the knowledge; raises `KnowledgeError` naming every problem."""
    loaded = knowledge_files.load(settings.knowledge_dir)
    return Services(
        settings,
        loaded,
        Retriever(loaded, retriever_config(settings)),
        Store.from_settings(settings),
    )
