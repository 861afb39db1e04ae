"""The composition root: settings -> knowledge -> retriever -> store -> app."""

from __future__ import annotations

from dataclasses import dataclass

from bot import knowledge as knowledge_files
from bot.knowledge import Knowledge
from bot.retriever import Retriever, RetrieverConfig
from bot.settings import Settings
from bot.store import Store


@dataclass(frozen=True)
class Services:
    """Everything a front end (terminal or Slack) needs, built once."""

    settings: Settings
    knowledge: Knowledge
    retriever: Retriever
    # None only where a front end never needs to remember anything (tests of
    # the terminal chat); `build` always makes one. Opening it is lazy.
    store: Store | None = None


def retriever_config(settings: Settings) -> RetrieverConfig:
    return RetrieverConfig(
        answer_threshold=settings.answer_threshold,
        suggest_threshold=settings.suggest_threshold,
        answer_margin=settings.answer_margin,
        max_suggestions=settings.max_suggestions,
        max_question_chars=settings.max_question_chars,
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
