"""Safe reloads: one version of the files per load (a ConfigMap's symlink
swap included), a file cut off while it is written is refused, and a broken
file on reload is one line with its file and line, never a traceback."""

from __future__ import annotations

import io
import json
import os
import pty
import random
import select
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.compose import Core, build
from bot.knowledge import loading
from bot.settings import Settings
from tests.support.paths import KNOWLEDGE_DIR, ROOT


def _version(tag: str) -> dict[str, str]:
    """Two files whose entries relate across the files; every id ends in
    `tag`, so a load mixing two versions has ids of both (and dangling
    related ids)."""
    left = "entries:\n" + "".join(
        f"  - id: left-{i}-{tag}\n    title: Left {i} {tag}\n    answer: A.\n"
        f"    related: [right-{i}-{tag}]\n"
        for i in range(40)
    )
    right = "entries:\n" + "".join(
        f"  - id: right-{i}-{tag}\n    title: Right {i} {tag}\n    answer: B.\n"
        f"    related: [left-{i}-{tag}]\n"
        for i in range(40)
    )
    return {"a-left.yaml": left, "b-right.yaml": right}


def _publish(directory: Path, tag: str, serial: int) -> Path:
    """What the kubelet does with a ConfigMap volume: write the new version
    in a fresh timestamped folder, point `..data` at it with an atomic
    rename, and delete the old folder."""
    fresh = directory / f"..2026_12_02_{serial:06d}"
    fresh.mkdir()
    for name, text in _version(tag).items():
        (fresh / name).write_text(text, encoding="utf-8")
    link = directory / "..data_tmp"
    link.symlink_to(fresh.name)
    link.replace(directory / "..data")
    return fresh


def test_a_configmap_swap_is_never_read_half_old_half_new(tmp_path: Path) -> None:
    """While `..data` swaps between two versions as fast as it can, every
    load is one whole version: all ids of one tag, no problem."""
    directory = tmp_path / "knowledge"
    directory.mkdir()
    current = _publish(directory, "a", 0)
    for name in _version("a"):
        (directory / name).symlink_to(f"..data/{name}")
    stop = threading.Event()
    swaps = [0]

    def swapping() -> None:
        nonlocal current
        while not stop.is_set():
            swaps[0] += 1
            old = current
            current = _publish(directory, "ab"[swaps[0] % 2], swaps[0])
            shutil.rmtree(old)
            time.sleep(random.uniform(0, 0.008))

    swapper = threading.Thread(target=swapping)
    swapper.start()
    seen: set[str] = set()
    loads = 0
    deadline = time.monotonic() + 60
    try:
        while (loads < 100 or swaps[0] < 60) and time.monotonic() < deadline:
            loads += 1
            knowledge, problems = loading.check(directory)
            assert [] == [str(p) for p in problems if not p.warning]
            tags = {entry.id.rsplit("-", 1)[1] for entry in knowledge.entries}
            assert 1 == len(tags), tags
            assert 80 == len(knowledge.entries)
            seen |= tags
            # Names stay those under the directory, not the timestamped folder.
            assert {str(directory / n) for n in _version("a")} == {
                e.file for e in knowledge.entries
            }
    finally:
        stop.set()
        swapper.join()
    assert swaps[0] >= 60 and loads >= 100  # the swaps really raced the loads
    assert {"a", "b"} == seen


def test_a_link_to_nothing_is_one_problem_naming_it(tmp_path: Path) -> None:
    """A knowledge file that is a symlink to a missing file: one problem
    with its name, not a load that retries forever or crashes."""
    shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge")
    gone = tmp_path / "knowledge" / "gone.yaml"
    gone.symlink_to(tmp_path / "nowhere.yaml")
    knowledge, problems = loading.check(tmp_path / "knowledge")
    assert [f"{gone}: error: cannot read the file: it is a link to nothing"] == [
        str(p) for p in problems if not p.warning
    ]
    assert len(loading.check(KNOWLEDGE_DIR)[0].entries) == len(knowledge.entries)


def test_a_named_pipe_is_one_problem_and_never_waited_on(tmp_path: Path) -> None:
    """A knowledge file that is a named pipe (nobody writing it) is one
    problem with its name: the load does not wait for a writer."""
    shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge")
    pipe = tmp_path / "knowledge" / "zz.yaml"
    os.mkfifo(pipe)
    result: list[list[str]] = []
    reader = threading.Thread(
        target=lambda: result.append(
            [str(p) for p in loading.check(tmp_path / "knowledge")[1] if not p.warning]
        ),
        daemon=True,
    )
    reader.start()
    reader.join(timeout=20)
    assert not reader.is_alive(), "the load waited on the pipe"
    assert [
        f"{pipe}: error: cannot read the file: it is not a regular file "
        "(a named pipe, a socket or a device)"
    ] == result[0]


def test_a_folder_named_like_a_file_is_one_problem_and_holds_nothing_open(
    tmp_path: Path,
) -> None:
    """A directory called `x.yaml`: one problem at each load, and no file
    descriptor left open by it (a reload every second would run out)."""
    shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge")
    (tmp_path / "knowledge" / "x.yaml").mkdir()
    open_before = len(list(Path("/proc/self/fd").iterdir()))
    for _ in range(20):
        problems = [
            p for p in loading.check(tmp_path / "knowledge")[1] if not p.warning
        ]
    assert [
        f"{tmp_path / 'knowledge' / 'x.yaml'}: error: cannot read the file: it is a "
        "directory"
    ] == [str(p) for p in problems]
    assert len(list(Path("/proc/self/fd").iterdir())) <= open_before + 2


def test_an_editors_hidden_lock_file_is_not_knowledge(tmp_path: Path) -> None:
    """While a curator edits `skills.yaml`, an editor leaves `.#skills.yaml`
    (a link to nothing) or `.skills.yaml.swp` beside it: not read, so the
    bot starts and reloads as if they weren't there."""
    shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge")
    (tmp_path / "knowledge" / ".#skills.yaml").symlink_to("user@host.1234:1")
    (tmp_path / "knowledge" / ".draft.yaml").write_text("entries: [oops\n")
    knowledge, problems = loading.check(tmp_path / "knowledge")
    assert [] == [p for p in problems if not p.warning]
    assert len(loading.check(KNOWLEDGE_DIR)[0].entries) == len(knowledge.entries)


@pytest.fixture
def core(tmp_path: Path) -> Core:
    """The core over a copy of the real knowledge that the tests edit."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    settings = Settings(_env_file=None, knowledge_dir=directory, data_dir=tmp_path)
    return build(settings, counted=False)


def _cut_after(path: Path, items: int) -> None:
    """`path` cut at an item boundary after `items` items, a later mtime."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("  - id:")]
    path.write_text("".join(lines[: starts[items]]), encoding="utf-8")
    later = time.time() + 5
    os.utime(path, (later, later))


def test_a_file_that_lost_most_of_its_tips_is_refused(
    core: Core, json_logs: io.StringIO
) -> None:
    """tips.yaml cut after 5 of its 15 tips (a copy caught half-way) is valid
    YAML; the reload is refused, the log says why, the 15 tips stay served.
    Asked for with SIGHUP, the same files are taken as meant."""
    reloader = core.reloader()
    tips = core.settings.knowledge_dir / "tips.yaml"
    served = core.library.snapshot().knowledge
    assert 15 == len(served.tips)
    _cut_after(tips, 5)
    assert not reloader.check()
    assert served is core.library.snapshot().knowledge
    failed = [
        json.loads(line)
        for line in json_logs.getvalue().splitlines()
        if "knowledge.reload_failed" in line
    ]
    assert [
        [
            f"{tips}: had 15 entries and tips, now 5; refused as a file still "
            "being written. If that is meant, reload with SIGHUP (kill -HUP) or "
            "restart"
        ]
    ] == [event["problems"] for event in failed]
    assert reloader.reload(forced=True)
    assert 5 == len(core.library.snapshot().knowledge.tips)


def test_entries_moved_to_another_file_are_no_loss(core: Core) -> None:
    """Most of a file's entries moved to a new file: a valid reason, served."""
    directory = core.settings.knowledge_dir
    reloader = core.reloader()
    skills = directory / "skills.yaml"
    text = skills.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("  - id:")]
    moved = "entries:\n" + "".join(lines[starts[1] :])
    (directory / "skills-technical.yaml").write_text(moved, encoding="utf-8")
    _cut_after(skills, 1)
    assert reloader.check()
    knowledge = core.library.snapshot().knowledge
    assert (
        str(directory / "skills-technical.yaml") == knowledge.by_id["skill-cloud"].file
    )


def test_a_number_too_long_to_read_is_one_problem_on_reload(
    core: Core, json_logs: io.StringIO
) -> None:
    """A 5,000-digit title (Python refuses to read such an int): the reload
    is refused with one problem naming the file, not a crash."""
    reloader = core.reloader()
    served = core.library.snapshot().knowledge
    big = core.settings.knowledge_dir / "big.yaml"
    big.write_text(
        "entries:\n  - id: big\n    title: " + "9" * 5000 + "\n    answer: A.\n",
        encoding="utf-8",
    )
    assert not reloader.reload()
    assert served is core.library.snapshot().knowledge
    failed = [
        json.loads(line)["problems"]
        for line in json_logs.getvalue().splitlines()
        if "knowledge.reload_failed" in line
    ]
    assert [
        [
            f"{big}: error: a value that can't be read: Exceeds the limit (4300 "
            "digits) for integer string conversion: value has 5000 digits"
        ]
    ] == failed
    assert "reload_crashed" not in json_logs.getvalue()


def _read_until(fd: int, wanted: bytes, timeout: float) -> bytes:
    """What the terminal showed until `wanted` appeared (or `timeout`)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the other side closed
                break
            seen += chunk
    return seen


def test_an_impossible_date_on_reload_is_one_line_in_the_terminal_chat(
    tmp_path: Path,
) -> None:
    """`stpm-bot run` in a terminal without Slack: the chat, reloading. A
    `review_by: 2027-02-29` saved meanwhile shows file:line and no traceback;
    the chat goes on answering."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("STPM_BOT_", "SLACK_"))
    }
    env |= {
        "PYTHONPATH": str(ROOT),
        "STPM_BOT_KNOWLEDGE_DIR": str(directory),
        "STPM_BOT_DATA_DIR": str(tmp_path / "data"),
        "STPM_BOT_SEMANTIC": "false",
        "STPM_BOT_RELOAD_INTERVAL": "0.2",
        "TERM": "dumb",
        "NO_COLOR": "1",
    }
    main, terminal = pty.openpty()
    chat = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=tmp_path,
    )
    os.close(terminal)
    try:
        shown = _read_until(main, b"you> ", 60)
        assert b"you> " in shown
        broken = directory / "dates.yaml"
        broken.write_text(
            "entries:\n  - id: d1\n    title: D\n    answer: A.\n"
            "    review_by: 2027-02-29\n",
            encoding="utf-8",
        )
        shown += _read_until(main, b"2027-02-29 is not a date", 20)
        os.write(main, b"/skill cloud\n")
        shown += _read_until(main, b"Cloud computing: High", 20)
        os.write(main, b"quit\n")
        assert 0 == chat.wait(timeout=20)
        shown += _read_until(main, b"\x00", 1)
    finally:
        if chat.poll() is None:
            chat.kill()
            chat.wait()
        os.close(main)
    text = shown.decode("utf-8", "replace")
    assert "Traceback" not in text
    assert f"{broken}:2 [d1]: error: review_by: 2027-02-29 is not a date" in text
    assert "Cloud computing: High" in text
