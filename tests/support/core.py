"""The core (`bot.compose.Core`) built from real knowledge for a test."""

from __future__ import annotations

from pathlib import Path

from bot.clock import Clock
from bot.compose import Core, assemble, retriever_config
from bot.knowledge.models import Knowledge
from bot.search.library import Library
from bot.search.retriever import Retriever, RetrieverConfig
from bot.settings import Settings
from bot.store.database import Store
from bot.store.engine import engine_for
from tests.support.paths import HUMAN_CONTACT, KNOWLEDGE_DIR


def shipped_settings(**overrides: object) -> Settings:
    """Settings as shipped, read from nothing but `overrides`."""
    values: dict[str, object] = {
        "_env_file": None,
        "knowledge_dir": KNOWLEDGE_DIR,
        "human_contact": HUMAN_CONTACT,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


def make_core(
    knowledge: Knowledge,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    database: Path | None = None,
    config: RetrieverConfig | None = None,
    clock: Clock | None = None,
) -> Core:
    """A core over `knowledge`. Questions are recorded only with a `store`
    (or a SQLite file at `database`); `config` replaces the retriever's."""
    settings = settings or shipped_settings()
    cfg = config or retriever_config(settings)
    library = Library(knowledge, lambda loaded: Retriever(loaded, cfg))
    if store is None and database is not None:
        store = Store(engine_for(f"sqlite:///{database}"))
    counted = store is not None
    if store is None:  # never opened: the core counts nothing
        store = Store(engine_for("sqlite://"))
    return assemble(settings, library, store, clock=clock, counted=counted)
