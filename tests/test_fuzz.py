"""Fuzzing: random Unicode, huge inputs and malformed files never raise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answers.replies import reply_for
from bot.cli.main import main
from bot.compose import Core
from bot.knowledge.loading import check
from bot.text.normalize import normalize

SLACKISH = st.sampled_from(
    [
        "<@U024BE7LH>",
        "<!channel>",
        "<!subteam^S1|@team>",
        ":wave:",
        "<https://x.y|z>",
        "&amp;",
        "AI/ML",
        "sr tpm",
        "\u200b",
        "\x00",
        "\ud7ff",
        "ﬁ",
        "İ",
        "ß",
        "\n\t",
    ]
)
QUESTIONS = st.lists(st.one_of(st.text(max_size=40), SLACKISH), max_size=12).map(
    " ".join
)


@settings(max_examples=300, deadline=None)
@given(QUESTIONS)
def test_normalize_accepts_any_text(text: str) -> None:
    """Every string normalizes to lowercase ASCII words."""
    result = normalize(text)
    assert all(t.isascii() and t == t.lower() for t in result.tokens)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(QUESTIONS)
def test_the_retriever_answers_or_declines_anything(core: Core, text: str) -> None:
    """Any question gets a well-formed result and a renderable reply."""
    knowledge = core.library.snapshot().knowledge
    result = core.library.snapshot().retriever.ask(text)
    assert result.status in {"answered", "suggested", "no_match", "empty"}
    assert all(0 <= m.score <= 100 for m in result.answers + result.suggestions)
    reply_for(knowledge, result)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(min_size=1, max_size=200), st.integers(50, 200))
def test_huge_questions_are_cut(core: Core, text: str, times: int) -> None:
    """A 10,000+ character question is cut, flagged, and does not raise."""
    result = core.library.snapshot().retriever.ask((text * times).ljust(10_001, "x"))
    assert result.truncated


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_any_knowledge_file_is_reported_not_raised(tmp_path: Path, data: bytes) -> None:
    """Random bytes as a knowledge file give problems, never an exception."""
    (tmp_path / "random.yaml").write_bytes(data)
    loaded, problems = check(tmp_path)
    assert problems or loaded.entries


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(QUESTIONS)
def test_the_cli_answers_any_question_and_skill_name_with_json(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
) -> None:
    """`ask --json` and `skill --json` take any text: JSON out, exit 0 or 1."""
    monkeypatch.setenv("STPM_BOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STPM_BOT_LOG_LEVEL", "ERROR")
    capsys.readouterr()
    assert 0 == main(["ask", "--json", "--", text])
    assert {"question", "answers", "suggestions"} <= set(
        json.loads(capsys.readouterr().out)
    )
    code = main(["skill", "--json", "--", text])
    assert code in (0, 1)
    assert "skill" in json.loads(capsys.readouterr().out)
