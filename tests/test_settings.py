"""The tips and gap-loop settings: parsed once, mistakes named at start."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import DEFAULT_KNOWLEDGE_DIR, Settings, parse_hhmm
from tests.support.paths import ROOT


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_tips_channels_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    """STPM_BOT_TIPS_CHANNELS="C1, C2" is two channel ids; empty is none."""
    monkeypatch.setenv("STPM_BOT_TIPS_CHANNELS", "C0123, C0456 ,")
    assert ("C0123", "C0456") == settings().tips_channels
    monkeypatch.setenv("STPM_BOT_TIPS_CHANNELS", "")
    assert () == settings().tips_channels


def test_a_channel_name_is_not_a_channel_id() -> None:
    """#general is refused: Slack's API wants ids like C0123456789."""
    with pytest.raises(ValidationError, match="not channel ids"):
        settings(tips_channels="#general")
    with pytest.raises(ValidationError, match="not a channel id"):
        settings(experts_channel="#experts")


def test_times_are_hh_mm() -> None:
    """9:05 and 09:05 are the same time; 25:00 and 9am are refused."""
    assert dt.time(9, 5) == parse_hhmm("9:05") == parse_hhmm("09:05")
    assert "09:05" == settings(tips_time="9:05").tips_time
    for bad in ("25:00", "9am", "09:5", ""):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_hhmm(bad)


def test_the_time_zone_is_an_iana_name() -> None:
    """Europe/Berlin works; a made-up zone stops the bot at start."""
    assert "Europe/Berlin" == str(settings(timezone="Europe/Berlin").zone)
    assert dt.UTC == settings().zone == settings(timezone="Etc/UTC").zone
    with pytest.raises(ValidationError, match="IANA"):
        settings(timezone="Mars/Olympus_Mons")


def test_the_scheduler_looks_within_the_grace_period() -> None:
    """A check interval longer than the grace period could skip tips: refused."""
    assert (
        60.0
        == settings(tips_grace_minutes=1, tips_check_interval=60).tips_check_interval
    )
    with pytest.raises(ValidationError, match="could miss tips"):
        settings(tips_grace_minutes=1, tips_check_interval=61)


def test_the_suggest_threshold_may_not_exceed_the_answer_threshold() -> None:
    """Suggesting needs less confidence than answering, never more."""
    with pytest.raises(ValidationError, match="STPM_BOT_ANSWER_THRESHOLD"):
        Settings(_env_file=None, answer_threshold=20, suggest_threshold=30)


def test_at_least_one_suggestion() -> None:
    """max_suggestions 0 would call a reply 'suggested' and show none."""
    with pytest.raises(ValidationError):
        Settings(_env_file=None, max_suggestions=0)


def test_a_suggest_threshold_above_the_answer_threshold_in_use_is_lowered() -> None:
    """50 suggested is fine beside the hybrid's 60, not beside lexical's 44:
    once the score in use is known, it is lowered to 44 with a warning."""
    from structlog.testing import capture_logs

    from bot.compose import retriever_config

    settings = Settings(_env_file=None, suggest_threshold=50)
    assert 50 == retriever_config(settings, semantic=True).suggest_threshold
    with capture_logs() as logs:
        lexical = retriever_config(settings, semantic=False)
    assert (44, 44) == (lexical.suggest_threshold, lexical.answer_threshold)
    assert ["settings.suggest_above_answer"] == [log["event"] for log in logs]


def test_the_default_data_dir_does_not_depend_on_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started from two folders, the bot keeps its data in one place:
    $XDG_STATE_HOME/stpm-bot, else ~/.local/state/stpm-bot."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    found = []
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        found.append(settings().data_dir)
    assert [tmp_path / "state" / "stpm-bot"] * 2 == found
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")  # ignored, as XDG says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert tmp_path / "home" / ".local" / "state" / "stpm-bot" == settings().data_dir
    monkeypatch.delenv("XDG_STATE_HOME")
    assert tmp_path / "home" / ".local" / "state" / "stpm-bot" == settings().data_dir


def test_the_store_is_created_in_the_default_data_dir_not_the_folder(
    tmp_path: Path,
) -> None:
    """`stpm-bot ask` with no data setting, from a project folder: the SQLite
    file goes to $XDG_STATE_HOME/stpm-bot, nothing to ./data."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("STPM_BOT_", "SLACK_"))
    }
    env |= {
        "PYTHONPATH": str(ROOT),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "STPM_BOT_SEMANTIC": "false",
    }
    (tmp_path / "work").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "what is an stpm"],
        cwd=tmp_path / "work",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 0 == done.returncode, done.stderr
    assert (tmp_path / "state" / "stpm-bot" / "stpm-bot.db").is_file()
    assert [] == list((tmp_path / "work").iterdir())


def test_an_empty_setting_means_its_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`STPM_BOT_DATA_DIR=` (an empty line in .env) is the default folder,
    not the one the bot starts in; the same for the other folders."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STPM_BOT_DATA_DIR", "")
    monkeypatch.setenv("STPM_BOT_KNOWLEDGE_DIR", "")
    found = settings()
    assert tmp_path / "state" / "stpm-bot" == found.data_dir
    assert DEFAULT_KNOWLEDGE_DIR == found.knowledge_dir


def test_an_empty_variable_still_overrides_the_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`SLACK_APP_TOKEN=` in the environment is no app token (HTTP mode),
    whatever a `.env` in the folder says."""
    env_file = tmp_path / ".env"
    env_file.write_text("SLACK_APP_TOKEN=xapp-1-from-the-file\n", encoding="utf-8")
    monkeypatch.setenv("SLACK_APP_TOKEN", "")
    assert not Settings(_env_file=env_file).slack_app_token
    monkeypatch.delenv("SLACK_APP_TOKEN")
    assert Settings(_env_file=env_file).slack_app_token


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_number_setting_is_a_finite_number(value: str) -> None:
    """Python reads "nan" as a float; no threshold or interval is one."""
    with pytest.raises(ValidationError, match="finite number"):
        Settings(_env_file=None, reload_interval=value)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("notaurl", "expected an http(s) URL"),
        ("ftp://127.0.0.1/", "expected an http(s) URL"),
        ("http://[::1", "not a URL"),
        ("http://127.0.0.1:99999/api/", "not a URL"),
        ("http://127.0.0.1:9/api/?x=1", "no ?query"),
    ],
)
def test_the_web_api_url_is_an_http_url(value: str, said: str) -> None:
    """Anything but an http(s) URL with a host is an invalid setting."""
    with pytest.raises(ValidationError, match=re.escape(said)):
        Settings(_env_file=None, SLACK_API_BASE_URL=value)


def test_the_web_api_url_ends_with_a_slash() -> None:
    """The Web API methods are appended to it: `…/api` is `…/api/`."""
    given = Settings(_env_file=None, SLACK_API_BASE_URL=" http://127.0.0.1:9/api")
    assert "http://127.0.0.1:9/api/" == given.slack_api_base_url
