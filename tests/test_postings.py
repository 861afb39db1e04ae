"""The inverted index: every word lists the entries that have it, in order,
however many processes build it."""

from __future__ import annotations

import gc
import random
from itertools import chain
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from bot.compose import retriever_config
from bot.search import postings
from bot.settings import Settings
from bot.text.normalize import Normalizer

NORMALIZER = Normalizer({"artificial intelligence machine learning": ("ai ml",)})


def entries_texts(count: int, seed: int = 3) -> list[list[str]]:
    """Entries as their texts, with synonyms, markup and accents in them."""
    rng = random.Random(seed)
    words = ["cloud", "security", "ai", "ml", "roadmap", "<@U1>", "café", "mgr"]
    words += [f"w{n}x" for n in range(60)]
    return [
        [" ".join(rng.choices(words, k=rng.randint(1, 12))) for _ in range(3)]
        for _ in range(count)
    ]


def expected(texts: list[list[str]]) -> dict[str, list[int]]:
    """Postings the slow, obvious way: each text normalized on its own."""
    found: dict[str, list[int]] = {}
    for i, entry in enumerate(texts):
        for word in sorted(set(chain.from_iterable(map(NORMALIZER.tokens, entry)))):
            found.setdefault(word, []).append(i)
    return found


def as_lists(built: postings.Postings) -> dict[str, list[int]]:
    return {word: list(at) for word, at in built.items()}


def test_each_word_lists_its_entries_in_order() -> None:
    """An entry is listed under each of its words once, entries ascending."""
    texts = [["Cloud roadmap"], ["security, cloud and CLOUD"], ["ai ml", "the"]]
    built = as_lists(postings.build(texts, NORMALIZER))
    assert [0, 1] == built["cloud"]
    assert [1] == built["security"]
    assert [2] == built["artificial"]
    assert "the" not in built


def test_one_process_matches_each_text_normalized_alone() -> None:
    """Joining an entry's texts for speed changes nothing: no synonym spans
    two texts ("... ai" then "ml ..."), markup and accents as usual."""
    texts = entries_texts(300)
    assert expected(texts) == as_lists(postings.build(texts, NORMALIZER))


def test_worker_processes_build_the_same_postings() -> None:
    """Split over two or three processes, the postings are identical."""
    texts = entries_texts(300)
    alone = as_lists(postings.build(texts, NORMALIZER))
    assert alone == as_lists(postings.build(texts, NORMALIZER, workers=2))
    assert alone == as_lists(postings.build(texts, NORMALIZER, workers=3))


def test_a_failing_worker_has_its_slice_built_here() -> None:
    """A worker that exits with an error costs time, not entries."""
    texts = entries_texts(120)
    with capture_logs() as logs:
        built = postings.build(texts, NORMALIZER, workers=2, interpreter="false")
    assert expected(texts) == as_lists(built)
    assert ["index.worker_failed"] == [e["event"] for e in logs]


def test_a_worker_that_cannot_start_has_its_slice_built_here() -> None:
    """No interpreter to start: the whole index is still built."""
    texts = entries_texts(120)
    with capture_logs() as logs:
        built = postings.build(
            texts, NORMALIZER, workers=2, interpreter="/nonexistent/python"
        )
    assert expected(texts) == as_lists(built)
    assert "No such file" in logs[0]["error"]


def test_only_large_knowledge_is_built_in_parallel() -> None:
    """Starting a process costs more than a small index takes to build; past
    that, one worker per core unless the setting says how many."""
    assert 1 == postings.workers_for(postings.PARALLEL_FROM - 1)
    assert 1 == postings.workers_for(postings.PARALLEL_FROM - 1, 3)
    assert 1 <= postings.workers_for(postings.PARALLEL_FROM) <= postings.MAX_WORKERS
    assert 3 == postings.workers_for(postings.PARALLEL_FROM, 3)


def test_the_setting_reaches_the_retriever() -> None:
    """STPM_BOT_INDEX_WORKERS=1 keeps a large build in the bot's process."""
    settings = Settings(_env_file=None, index_workers=1)
    assert 1 == retriever_config(settings).index_workers


def test_a_stuck_worker_is_stopped_and_its_slice_built_here(tmp_path: Path) -> None:
    """Workers with no result by the build's deadline are killed; the build
    goes on without them."""
    stuck = tmp_path / "stuck"
    stuck.write_text("#!/bin/sh\nexec sleep 60\n")
    stuck.chmod(0o755)
    texts = entries_texts(120)
    with capture_logs() as logs:
        built = postings.build(
            texts, NORMALIZER, workers=3, interpreter=str(stuck), timeout=0.5
        )
    assert expected(texts) == as_lists(built)
    assert ["no result by the build's deadline"] * 2 == [e["error"] for e in logs]


def test_workers_run_this_code_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started from a folder with another `bot/` package in it (an old
    checkout), the workers still import this one."""
    other = tmp_path / "bot"
    other.mkdir()
    (other / "__init__.py").write_text("")
    (other / "postings.py").write_text("raise SystemExit('the other bot')\n")
    monkeypatch.chdir(tmp_path)
    texts = entries_texts(120)
    with capture_logs() as logs:
        built = postings.build(texts, NORMALIZER, workers=2)
    assert [] == logs
    assert expected(texts) == as_lists(built)


def test_garbage_collection_is_left_as_found() -> None:
    """Paused while building, then back to what it was: on stays on, off
    stays off."""
    postings.build(entries_texts(10), NORMALIZER)
    assert gc.isenabled()
    gc.disable()
    try:
        postings.build(entries_texts(10), NORMALIZER)
        assert not gc.isenabled()
    finally:
        gc.enable()
