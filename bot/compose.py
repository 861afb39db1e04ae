"""The composition root: settings -> clock, metrics -> knowledge -> store ->
the answerer, built once per entry point and never changed afterwards.

The terminal commands (`bot.cli.main`) and the Slack app (`bot.slack.app`)
each call `build` once; everything below them is handed what it needs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import structlog
from sqlalchemy.exc import SQLAlchemyError

from bot.answers.asking import Answerer, NoQuestionLog, QuestionLog
from bot.clock import Clock
from bot.knowledge import isolated, loading
from bot.knowledge.models import Knowledge
from bot.knowledge.reload import Reloader
from bot.metrics import Metrics
from bot.search.library import Library
from bot.search.retriever import Retriever, RetrieverConfig
from bot.search.semantic import (
    CHECKED_FILE,
    EmbeddingCache,
    SemanticIndex,
    load_embedder,
)
from bot.settings import Settings
from bot.store.database import Store


@dataclass(frozen=True)
class Core:
    """What every front end is built from."""

    settings: Settings
    clock: Clock
    metrics: Metrics
    library: Library
    store: Store
    answerer: Answerer
    recording: bool  # questions go to the store (False: it could not be opened)

    def reloader(self) -> Reloader:
        """Hot reload of `STPM_BOT_KNOWLEDGE_DIR` into this core's library."""
        return Reloader(
            self.settings.knowledge_dir,
            self.library.swap,
            self.metrics.knowledge_reload,
            self.settings.reload_interval,
            self.clock.today,
            self.library.snapshot().knowledge,
            check=isolated.check,  # parsed outside the serving process
        )


def retriever_config(settings: Settings, semantic: bool = False) -> RetrieverConfig:
    """The settings' thresholds, or the defaults of the score in use; a
    suggest threshold above the answer threshold in use (one given, the other
    the mode's default) is lowered to it, with a warning naming both."""
    config = RetrieverConfig.for_mode(
        semantic,
        answer_threshold=settings.answer_threshold,
        suggest_threshold=settings.suggest_threshold,
        answer_margin=settings.answer_margin,
        max_suggestions=settings.max_suggestions,
        max_question_chars=settings.max_question_chars,
        index_workers=settings.index_workers,
    )
    if config.suggest_threshold <= config.answer_threshold:
        return config
    structlog.get_logger().warning(
        "settings.suggest_above_answer",
        suggest=config.suggest_threshold,
        answer=config.answer_threshold,
        matching="hybrid" if semantic else "lexical",
        using=config.answer_threshold,
    )
    return replace(config, suggest_threshold=config.answer_threshold)


def embeddings_for(settings: Settings) -> EmbeddingCache | None:
    """The sentence model with its on-disk cache, when semantic matching is on
    and the model loads; None (lexical only) otherwise."""
    if not settings.semantic:
        return None
    folder = settings.resolved_embedding_cache_dir
    embedder = load_embedder(
        settings.model_dir,
        settings.model_threads,
        settings.embed_workers,
        checked=folder / CHECKED_FILE,
    )
    if embedder is None:
        return None
    return EmbeddingCache(folder, embedder)


def library_for(
    knowledge: Knowledge, settings: Settings, embeddings: EmbeddingCache | None = None
) -> Library:
    """The knowledge served with a retriever rebuilt on every reload; with
    `embeddings`, hybrid (only changed texts are embedded again)."""
    config = retriever_config(settings, semantic=embeddings is not None)

    def retriever(loaded: Knowledge) -> Retriever:
        start = time.perf_counter()
        before = embeddings.embedded if embeddings else 0
        semantic = SemanticIndex(loaded, embeddings) if embeddings else None
        built = Retriever(loaded, config, semantic)
        structlog.get_logger().info(
            "retriever.ready",
            matching=built.mode,
            entries=len(loaded.entries),
            embedded=(embeddings.embedded - before) if embeddings else 0,
            # each collection's learnt answer threshold (empty: the configured)
            thresholds=[round(t.answer, 1) for _, t in built.calibrated],
            seconds=round(time.perf_counter() - start, 3),
        )
        return built

    return Library(knowledge, retriever)


def _question_log(store: Store) -> QuestionLog | None:
    """The store, with its schema created; None if it can't be reached."""
    try:
        store.create_schema()
    except (SQLAlchemyError, OSError) as error:
        structlog.get_logger().warning("store.unavailable", error=str(error)[:200])
        return None
    return store


def assemble(
    settings: Settings,
    library: Library,
    store: Store,
    *,
    clock: Clock | None = None,
    counted: bool = True,
) -> Core:
    """Wire the core around the knowledge being served. `counted`: questions are
    recorded in the store, or, if it can't be opened, answered anyway and
    not recorded (one `store.unavailable` warning)."""
    clock = clock or Clock(settings.zone)
    metrics = Metrics()
    log = _question_log(store) if counted else None
    answerer = Answerer(
        library, log or NoQuestionLog(), metrics, settings.human_contact
    )
    return Core(settings, clock, metrics, library, store, answerer, log is not None)


def build(settings: Settings, *, counted: bool = True) -> Core:
    """Load and validate the knowledge (raises `KnowledgeError` naming every
    problem), then wire everything around it. A database URL no engine can be
    made for raises `DatabaseUrlError` first, before the slow loading."""
    clock = Clock(settings.zone)
    store = Store.from_settings(settings)
    knowledge = loading.load(settings.knowledge_dir, clock.today())
    library = library_for(knowledge, settings, embeddings_for(settings))
    return assemble(settings, library, store, clock=clock, counted=counted)
