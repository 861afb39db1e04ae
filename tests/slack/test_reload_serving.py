"""`stpm-bot run` serving Slack reloads edited knowledge through its child
process and keeps serving what it had when the edit is refused."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from tests.support.fake_slack import FakeSlack
from tests.support.paths import KNOWLEDGE_DIR
from tests.support.process import Bot, bot_env

NEW_ENTRY = """\
entries:
  - id: kombucha
    title: Brewing kombucha in the office
    answer: Ask facilities before you start a kombucha culture.
    questions:
      - can i brew kombucha at the office
"""


def _events(bot: Bot, name: str, timeout: float = 30) -> list[dict[str, object]]:
    """The bot's log lines named `name`, once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [
            json.loads(line)
            for line in bot.output().splitlines()
            if line.startswith("{") and f'"{name}"' in line
        ]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {name} in the log:\n{bot.output()[-3000:]}")


def test_the_serving_bot_reloads_and_refuses_through_its_child(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """A new file is served; tips.yaml cut to 5 of its 15 tips is refused
    with the reason in the log, and the bot stays up."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    env = bot_env(
        fake_slack,
        tmp_path / "data",
        STPM_BOT_KNOWLEDGE_DIR=str(directory),
        STPM_BOT_RELOAD_INTERVAL="0.2",
        STPM_BOT_SEMANTIC="false",
    )
    bot = Bot.start(env, tmp_path / "bot.log")
    try:
        (directory / "office.yaml").write_text(NEW_ENTRY, encoding="utf-8")
        (reloaded,) = _events(bot, "knowledge.reloaded")
        assert 30 == reloaded["entries"]
        tips = directory / "tips.yaml"
        lines = tips.read_text(encoding="utf-8").splitlines(keepends=True)
        starts = [i for i, line in enumerate(lines) if line.startswith("  - id:")]
        tips.write_text("".join(lines[: starts[5]]), encoding="utf-8")
        (failed,) = _events(bot, "knowledge.reload_failed")
        assert [
            f"{tips}: had 15 entries and tips, now 5; refused as a file still "
            "being written. If that is meant, reload with SIGHUP (kill -HUP) or "
            "restart"
        ] == failed["problems"]
        assert bot.process.poll() is None
        assert 0 == bot.terminate()
    finally:
        bot.kill()
    assert "Traceback" not in bot.output()
