"""Shared fixtures: the real knowledge and the services built on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Services, retriever_config
from bot.knowledge import Knowledge, load
from bot.retriever import Retriever
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE_DIR = ROOT / "knowledge"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HUMAN_CONTACT = "#stpm-guild"


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def services(knowledge: Knowledge) -> Services:
    """Real knowledge and retriever with default settings; no store."""
    settings = Settings(
        _env_file=None, knowledge_dir=KNOWLEDGE_DIR, human_contact=HUMAN_CONTACT
    )
    return Services(
        settings, knowledge, Retriever(knowledge, retriever_config(settings))
    )
