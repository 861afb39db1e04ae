"""`stpm-bot validate` reports each root cause once: an entry or file that
did not load is one problem, not one more for everything pointing at it."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.cli import cli
from tests.support.paths import KNOWLEDGE_DIR


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_five_real_problems_are_five_lines(tmp_path: Path) -> None:
    """Five real problems, five lines with file and line, nothing else: an
    impossible date and a misspelt key (one line, not "unknown key" and
    "missing title") in entries many others point at, a file that is not
    YAML, a related id and a tip's entry id that exist nowhere."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    # technical-skills: related from eight entries and a tip.
    _edit(directory / "skills.yaml", "review_by: 2027-11-30", "review_by: 2027-02-29")
    # key-skills: related from every quality.
    _edit(
        directory / "qualities.yaml",
        "    title: Key skills",
        "    titel: Key skills",
    )
    # role.yaml: its five entries are related from others.
    _edit(directory / "role.yaml", "    title:", "    title: [unclosed")
    _edit(
        directory / "responsibilities.yaml",
        "related: [",
        "related: [no-such-entry, ",
    )
    _edit(directory / "tips.yaml", "related: ", "related: no-such-tip-entry  # ")
    done = cli(tmp_path, "validate", knowledge_dir=directory)
    assert 1 == done.returncode
    lines = done.stdout.splitlines()
    assert "5 errors, 0 warnings" == lines[-1], lines
    problems = lines[:-1]
    assert 5 == len(problems), problems
    expected = [
        ("qualities.yaml:2 [key-skills]", "titel: not a field; did you mean 'title'?"),
        ("role.yaml:4", "YAML syntax error"),
        (
            "skills.yaml:2 [technical-skills]",
            "review_by: 2027-02-29 is not a date (day value is outside expected "
            "range); use YYYY-MM-DD",
        ),
        ("responsibilities.yaml:", "related id 'no-such-entry' does not exist"),
        ("tips.yaml:", "related id 'no-such-tip-entry' does not exist"),
    ]
    for where, message in expected:
        found = [p for p in problems if where in p and message in p]
        assert 1 == len(found), (where, problems)
    assert not any("'technical-skills'" in p or "'key-skills'" in p for p in problems)


def test_a_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    """role.yaml saved in another encoding: one line for it, none for the
    entries elsewhere that link to its entries."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    role = directory / "role.yaml"
    role.write_bytes(role.read_bytes() + b"\xff\xfe bad\n")
    done = cli(tmp_path, "validate", knowledge_dir=directory)
    assert 1 == done.returncode
    lines = done.stdout.splitlines()
    assert "1 error, 0 warnings" == lines[-1], lines
    assert "role.yaml" in lines[0] and "not UTF-8" in lines[0]


def test_a_link_that_loops_is_one_line(tmp_path: Path) -> None:
    """loop.yaml a link to itself: one problem naming it, no crash."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    (directory / "loop.yaml").symlink_to("loop.yaml")
    done = cli(tmp_path, "validate", knowledge_dir=directory)
    assert (1, "") == (done.returncode, done.stderr)
    assert "loop.yaml: error: cannot read the file: Too many levels" in done.stdout
    assert "1 error, 0 warnings" == done.stdout.splitlines()[-1]
