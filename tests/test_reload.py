"""Hot reload: edited knowledge is served without a restart; broken edits are not."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from bot.compose import Core, build
from bot.knowledge.reload import Reloader
from bot.settings import Settings
from tests.support.paths import KNOWLEDGE_DIR

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
def core(tmp_path: Path) -> Core:
    """The core over a copy of the real knowledge that the tests edit."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    settings = Settings(_env_file=None, knowledge_dir=directory, data_dir=tmp_path)
    return build(settings, counted=False)


def touch_later(path: Path, text: str) -> None:
    """Write `text` with an mtime clearly after the last look."""
    path.write_text(text, encoding="utf-8")
    later = time.time() + 5
    os.utime(path, (later, later))


def test_a_valid_change_is_served(core: Core) -> None:
    """A new entry answers after the next check, with no restart."""
    reloader = core.reloader()
    question = "can i brew kombucha at the office"
    assert () == core.library.snapshot().retriever.ask(question).answers
    touch_later(core.settings.knowledge_dir / "office.yaml", NEW_ENTRY)
    assert reloader.check()
    assert (
        "kombucha"
        == core.library.snapshot().retriever.ask(question).answers[0].entry.id
    )


def test_an_invalid_change_keeps_the_old_knowledge(
    core: Core, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken file is logged; the bot keeps answering from what it had."""
    reloader = core.reloader()
    before = core.library.snapshot().knowledge
    touch_later(core.settings.knowledge_dir / "broken.yaml", "entries: [oops\n")
    assert not reloader.check()
    assert before is core.library.snapshot().knowledge
    assert (
        core.library.snapshot()
        .retriever.ask("how important is cloud for an stpm")
        .answers
    )


def test_a_link_that_loops_is_refused_once_and_served_around(core: Core) -> None:
    """A link to itself appears in the folder: one refused reload (no crash),
    the old knowledge served, and no new attempt while nothing changes."""
    reloader = core.reloader()
    before = core.library.snapshot().knowledge
    (core.settings.knowledge_dir / "loop.yaml").symlink_to("loop.yaml")
    assert not reloader.check()
    assert before is core.library.snapshot().knowledge
    assert not reloader.check()


def test_no_change_no_reload(core: Core) -> None:
    """Nothing changed on disk: the same knowledge object stays."""
    before = core.library.snapshot().knowledge
    assert not core.reloader().check()
    assert before is core.library.snapshot().knowledge


def test_sighup_reloads_at_once(core: Core) -> None:
    """SIGHUP to the process reloads without waiting for the poll."""
    reloader = Reloader(core.settings.knowledge_dir, core.library.swap, interval=3600)
    reloader.start()
    try:
        (core.settings.knowledge_dir / "office.yaml").write_text(NEW_ENTRY)
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "kombucha" not in core.library.snapshot().knowledge.by_id:
            assert time.monotonic() < deadline, "no reload after SIGHUP"
            time.sleep(0.02)
    finally:
        reloader.stop()
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


def test_a_file_emptied_for_a_moment_is_not_served(core: Core) -> None:
    """`cp` and editors truncate a file before writing it: a file that had
    entries and is now empty is refused (the old knowledge stays); deleting
    the file is how to remove its entries."""
    reloader = core.reloader()
    office = core.settings.knowledge_dir / "office.yaml"
    touch_later(office, NEW_ENTRY)
    assert reloader.check()
    served = core.library.snapshot().knowledge
    assert "kombucha" in served.by_id
    office.write_text("", encoding="utf-8")
    later = time.time() + 10
    os.utime(office, (later, later))
    assert not reloader.check()
    assert served is core.library.snapshot().knowledge
    office.unlink()
    assert reloader.check()
    assert "kombucha" not in core.library.snapshot().knowledge.by_id


def test_impossible_dates_aliases_and_deep_nesting_are_problems_not_crashes(
    core: Core,
) -> None:
    """Each is one problem naming its file, and the old knowledge stays."""
    reloader = core.reloader()
    directory = core.settings.knowledge_dir
    cases = {
        "date.yaml": "entries:\n  - id: d1\n    title: D\n    answer: A\n"
        "    review_by: 2027-02-29\n",
        "alias.yaml": 'a: &a ["x", "x"]\nb: [*a, *a]\n',
        "deep.yaml": "entries: " + "[" * 5000 + "]" * 5000 + "\n",
    }
    for name, text in cases.items():
        before = core.library.snapshot().knowledge
        touch_later(directory / name, text)
        assert not reloader.check(), name
        assert before is core.library.snapshot().knowledge
        (directory / name).unlink()
        reloader.check()
