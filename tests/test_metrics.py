"""What the bot counts: questions by outcome, retrieval latency, reloads."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.compose import build
from bot.knowledge.models import Knowledge
from bot.metrics import Metrics
from bot.settings import Settings
from tests.support.core import make_core
from tests.support.paths import KNOWLEDGE_DIR


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_every_question_is_counted_by_outcome(knowledge: Knowledge) -> None:
    """answered, suggested, no_match (an empty question counts as no_match)
    and small talk ("thanks!"), which is no knowledge gap."""
    counted = make_core(knowledge)
    questions = ("what does an stpm do?", "what is the wifi password", "   ")
    outcomes = [counted.answerer.lookup(q).result.status for q in questions]
    counted.answerer.lookup("thanks, that helps!")
    metrics = counted.metrics
    assert ["answered", "no_match", "empty"] == outcomes
    assert 1 == sample(metrics, "stpm_bot_questions_total", outcome="answered")
    assert 2 == sample(metrics, "stpm_bot_questions_total", outcome="no_match")
    assert 0 == sample(metrics, "stpm_bot_questions_total", outcome="suggested")
    assert 1 == sample(metrics, "stpm_bot_questions_total", outcome="small_talk")
    assert 4 == sample(metrics, "stpm_bot_retrieval_seconds_count")


def test_metrics_are_per_core_not_per_process(knowledge: Knowledge) -> None:
    """Two cores in one process count separately: one question, one count."""
    one, other = make_core(knowledge), make_core(knowledge)
    one.answerer.answer("what does an stpm do?")
    assert 1 == sample(one.metrics, "stpm_bot_questions_total", outcome="answered")
    assert 0 == sample(other.metrics, "stpm_bot_questions_total", outcome="answered")


def test_reloads_are_counted_ok_and_failed(tmp_path: Path) -> None:
    """A good reload counts as ok; a broken file as failed."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    settings = Settings(_env_file=None, knowledge_dir=directory, data_dir=tmp_path)
    core = build(settings, counted=False)
    reloader = core.reloader()
    assert reloader.reload()
    (directory / "broken.yaml").write_text("entries: [oops\n", encoding="utf-8")
    assert not reloader.reload()
    metrics = core.metrics
    assert 1 == sample(metrics, "stpm_bot_knowledge_reloads_total", result="ok")
    assert 1 == sample(metrics, "stpm_bot_knowledge_reloads_total", result="failed")
