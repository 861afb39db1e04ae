"""Hot reload: edited knowledge is served without a restart; broken edits are not."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from bot.compose import Services, build
from bot.knowledge.reload import Reloader
from bot.settings import Settings
from tests.conftest import KNOWLEDGE_DIR

NEW_ENTRY = """
entries:
  - id: kombucha
    title: Brewing kombucha in the office
    answer: Ask facilities before you start a kombucha culture.
    questions:
      - can i brew kombucha at the office
    related: [role-overview]
"""


@pytest.fixture
def services(tmp_path: Path) -> Services:
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    return build(Settings(_env_file=None, knowledge_dir=directory, data_dir=tmp_path))


def touch_later(path: Path, text: str) -> None:
    """Write `text` with an mtime clearly after the last look."""
    path.write_text(text, encoding="utf-8")
    later = time.time() + 5
    os.utime(path, (later, later))


def test_a_valid_change_is_served(services: Services) -> None:
    """A new entry answers after the next check, with no restart."""
    reloader = Reloader(services)
    question = "can i brew kombucha at the office"
    assert () == services.retriever.ask(question).answers
    touch_later(services.settings.knowledge_dir / "office.yaml", NEW_ENTRY)
    assert reloader.check()
    assert "kombucha" == services.retriever.ask(question).answers[0].entry.id


def test_an_invalid_change_keeps_the_old_knowledge(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken file is logged; the bot keeps answering from what it had."""
    reloader = Reloader(services)
    before = services.knowledge
    touch_later(services.settings.knowledge_dir / "broken.yaml", "entries: [oops\n")
    assert not reloader.check()
    assert before is services.knowledge
    assert services.retriever.ask("how important is cloud for an stpm").answers


def test_no_change_no_reload(services: Services) -> None:
    """Nothing changed on disk: the same knowledge object stays."""
    before = services.knowledge
    assert not Reloader(services).check()
    assert before is services.knowledge


def test_sighup_reloads_at_once(services: Services) -> None:
    """SIGHUP to the process reloads without waiting for the poll."""
    reloader = Reloader(services, interval=3600)
    reloader.start()
    try:
        (services.settings.knowledge_dir / "office.yaml").write_text(NEW_ENTRY)
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "kombucha" not in services.knowledge.by_id:
            assert time.monotonic() < deadline, "no reload after SIGHUP"
            time.sleep(0.02)
    finally:
        reloader.stop()
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
