"""Large knowledge stays out of the serving process: a reload is checked in a
child process that gets no credential, and sizes past the caps are one
clear problem."""

from __future__ import annotations

import datetime as dt
import stat
import sys
from pathlib import Path

import pytest

from bot.knowledge import isolated, loading
from bot.search import postings
from bot.settings import worker_environment
from bot.text.normalize import Normalizer
from tests.support.paths import KNOWLEDGE_DIR

TODAY = dt.date(2026, 1, 5)
CREDENTIALS = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-secretbottoken9f3a",
    "SLACK_SIGNING_SECRET": "signing-secret-5d1c",
    "SLACK_APP_TOKEN": "xapp-1-A111-3333-secretapptoken7c1e",
    "STPM_BOT_DATABASE_URL": "postgresql+psycopg://stpm:hunter2@db:5432/stpm",
    "STPM_BOT_USER_HASH_KEY": "hash-key-8e2b",
    "PGPASSWORD": "hunter2",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-77aa",
}


def _recording_interpreter(tmp_path: Path) -> tuple[str, Path]:
    """A stand-in for `python` that writes down the environment it was
    started with, then runs the real interpreter with the same arguments."""
    record = tmp_path / "environment"
    script = tmp_path / "python"
    script.write_text(f'#!/bin/sh\nenv > "{record}"\nexec "{sys.executable}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script), record


def _assert_no_credential(record: Path) -> None:
    seen = record.read_text(encoding="utf-8")
    names = {line.split("=", 1)[0] for line in seen.splitlines() if "=" in line}
    assert set() == names & set(CREDENTIALS)
    for value in CREDENTIALS.values():
        assert value not in seen
    assert "PATH" in names


def test_a_reload_is_checked_in_a_child_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child checks the real knowledge and hands it back whole; its
    environment has no Slack token, database URL or password."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    interpreter, record = _recording_interpreter(tmp_path)
    knowledge, problems = isolated.check(KNOWLEDGE_DIR, TODAY, interpreter=interpreter)
    expected, expected_problems = loading.check(KNOWLEDGE_DIR, TODAY)
    assert [e.id for e in expected.entries] == [e.id for e in knowledge.entries]
    assert expected.entries == knowledge.entries
    assert [str(p) for p in expected_problems] == [str(p) for p in problems]
    _assert_no_credential(record)


def test_index_workers_get_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The processes that build a large index inherit no credential either."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    interpreter, record = _recording_interpreter(tmp_path)
    texts = [[f"topic {i}", f"question about thing {i}"] for i in range(40)]
    built = postings.build(texts, Normalizer({}), workers=2, interpreter=interpreter)
    assert built == postings.build(texts, Normalizer({}), workers=1)
    _assert_no_credential(record)


def test_the_worker_environment_keeps_what_runs_python() -> None:
    """PATH, HOME, the locale and PYTHON* stay; every credential goes."""
    environ = {"PATH": "/usr/bin", "HOME": "/home/bot", "LANG": "C.UTF-8"}
    environ |= {"PYTHONHASHSEED": "0", **CREDENTIALS}
    kept = worker_environment(environ)
    assert {
        "PATH": "/usr/bin",
        "HOME": "/home/bot",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
    } == kept


def test_a_child_that_fails_refuses_the_reload_saying_why(tmp_path: Path) -> None:
    """A check that dies is one problem with its last words, nothing served."""
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\necho 'MemoryError: out of memory' >&2\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    knowledge, problems = isolated.check(KNOWLEDGE_DIR, TODAY, interpreter=str(script))
    assert () == knowledge.entries
    assert [
        f"{KNOWLEDGE_DIR}: error: the check failed: MemoryError: out of memory"
    ] == [str(p) for p in problems]


def test_more_entries_than_the_cap_is_one_problem() -> None:
    """Past the entry cap: one line saying how many and the cap, nothing served."""
    knowledge, problems = loading.check(KNOWLEDGE_DIR, TODAY, max_entries=10)
    assert () == knowledge.entries
    count = len(loading.check(KNOWLEDGE_DIR, TODAY)[0].entries)
    assert [
        f"{KNOWLEDGE_DIR}: error: {count} entries, over the 10 one bot serves; "
        "split the knowledge between bots"
    ] == [str(p) for p in problems if not p.warning]


def test_too_many_values_or_levels_in_a_file_is_one_problem(tmp_path: Path) -> None:
    """A million and one values, or 65 levels of nesting: one problem with
    the file and line, before anything is built."""
    (tmp_path / "wide.yaml").write_text(
        "entries: [" + "1," * loading.MAX_NODES + "1]\n", encoding="utf-8"
    )
    (tmp_path / "deep.yaml").write_text(
        "tips:\n  - " + "[" * 65 + "]" * 65 + "\n", encoding="utf-8"
    )
    _, problems = loading.check(tmp_path, TODAY)
    assert [
        f"{tmp_path / 'deep.yaml'}:2: error: YAML syntax error: nested over 64 "
        "levels deep",
        f"{tmp_path / 'wide.yaml'}:1: error: YAML syntax error: over 1,000,000 "
        "values in one file; split it",
    ] == [str(p) for p in problems]
    assert (tmp_path / "wide.yaml").stat().st_size < loading.MAX_FILE_BYTES
