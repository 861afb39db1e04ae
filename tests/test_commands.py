"""The commands' behaviour, called in-process on the real knowledge (fast);
tests/test_cli.py runs the same contracts end to end in a real process."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sys
from argparse import Namespace
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from structlog.testing import capture_logs

from bot.cli import commands
from bot.cli import main as cli
from bot.compose import Core
from bot.knowledge import loading
from bot.knowledge.models import Knowledge
from bot.settings import Settings
from tests.support.core import make_core
from tests.support.paths import FIXTURES, KNOWLEDGE_DIR

CYBER = "how important is cybersecurity for an stpm"


def parsed(*argv: str) -> Namespace:
    """The arguments as `stpm-bot` itself parses them."""
    return cli.parser().parse_args(argv)


def out_of(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_ask_text_and_json_agree(
    core: Core, capsys: pytest.CaptureFixture[str]
) -> None:
    """The person's answer and the JSON's first answer are the same entry."""
    with capture_logs():
        commands.ask(core, parsed("ask", *CYBER.split()))
        text = out_of(capsys)
        commands.ask(core, parsed("ask", CYBER, "--json"))
    data = json.loads(out_of(capsys))

    assert text.startswith(data["answers"][0]["title"] + "\n")


def test_batch_reads_bytes_line_by_line(
    core: Core,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`ask -` answers each stdin line in order, blank and broken ones too."""
    stdin = io.TextIOWrapper(io.BytesIO(b"\n\xc3\x28 cloud\r\n" + CYBER.encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    with capture_logs():
        status = commands.ask(core, parsed("ask", "-"))
    lines = [json.loads(line) for line in out_of(capsys).splitlines()]

    assert status == 0
    assert [d["question"] for d in lines] == ["", "\ufffd( cloud", CYBER]
    assert lines[0]["answers"] == lines[0]["suggestions"] == []


@pytest.mark.parametrize(
    ("name", "status", "printed"),
    [
        ("infra", 0, "Networking and infrastructure: High\n"),
        ("cooking", 1, "No skill called 'cooking'. Did you mean: "),
        ("", 1, "Which skill? Known skills: Cloud computing, "),
    ],
)
def test_skill_text(
    core: Core,
    capsys: pytest.CaptureFixture[str],
    name: str,
    status: int,
    printed: str,
) -> None:
    """`skill NAME` prints the importance, or why not and what to try; exit 1."""
    assert commands.skill(core, parsed("skill", name)) == status
    assert out_of(capsys).startswith(printed)


def test_skill_table_text(core: Core, capsys: pytest.CaptureFixture[str]) -> None:
    """`skill` with no NAME prints the whole table, one skill a line."""
    assert commands.skill(core, parsed("skill")) == 0
    assert "Cybersecurity: High\n" in out_of(capsys)


def test_tips_cycle_over_consecutive_dates(
    core: Core, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tip --date` on N consecutive days shows all N tips, then repeats."""
    count = len(core.library.snapshot().knowledge.tips)
    start = dt.date(2025, 3, 1)
    shown = []
    for day in range(count + 1):
        date = start + dt.timedelta(days=day)
        commands.tip(core, parsed("tip", "--date", date.isoformat(), "--json"))
        shown.append(json.loads(out_of(capsys))["id"])

    assert len(set(shown[:count])) == count
    assert shown[count] == shown[0]


def test_tip_without_tips_exits_1(
    core: Core, capsys: pytest.CaptureFixture[str]
) -> None:
    """Knowledge with no tips: a message on stderr, exit 1."""
    bare = make_core(Knowledge.of([]))

    assert commands.tip(bare, parsed("tip")) == 1
    assert "no tips" in capsys.readouterr().err


def settings_for(directory: Path) -> Settings:
    return Settings(_env_file=None, knowledge_dir=directory)


def test_validate_summary_counts_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Warnings are listed and counted but do not fail validation."""
    shutil.copytree(KNOWLEDGE_DIR, tmp_path / "k")
    (tmp_path / "k" / "old.yaml").write_text(
        "entries:\n  - id: zz-old\n    title: Old\n    answer: Old.\n"
        "    review_by: 2001-01-01\n"
    )
    status = commands.validate(settings_for(tmp_path / "k"), parsed("validate"))
    lines = out_of(capsys).splitlines()

    assert status == 0
    assert "[zz-old]: warning: review overdue since 2001-01-01" in lines[0]
    assert lines[-1].startswith("OK: ")
    assert lines[-1].endswith(" tips, 1 warning")


def test_validate_warns_when_there_are_no_tips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Knowledge without tips.yaml is valid, but the daily tips would have
    nothing to post: a warning says so, exit 0."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    (directory / "tips.yaml").unlink()
    assert 0 == commands.validate(settings_for(directory), parsed("validate"))
    said = out_of(capsys)
    assert f"{directory}: warning: no tips: the daily tips have nothing to post" in said
    assert said.splitlines()[-1].endswith("0 tips, 1 warning")


def test_validate_a_missing_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A knowledge directory that isn't there is an error, said plainly."""
    status = commands.validate(settings_for(tmp_path / "nope"), parsed("validate"))

    assert status == 1
    assert (
        "knowledge directory not found: set STPM_BOT_KNOWLEDGE_DIR to the folder "
        "of the knowledge files"
    ) in out_of(capsys)
    (tmp_path / "file").write_text("not a folder")
    assert 1 == commands.validate(settings_for(tmp_path / "file"), parsed("validate"))
    assert "knowledge directory is a file, not a folder: set" in out_of(capsys)


def ingest_args(
    article: Path, out: Path | None = None, force: bool = False
) -> Namespace:
    argv = ["ingest", str(article), *(["--out", str(out)] if out else [])]
    return parsed(*argv, *(["--force"] if force else []))


def test_ingest_into_a_new_knowledge_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ingest` creates the knowledge directory and names the draft it wrote."""
    settings = settings_for(tmp_path / "new")
    status = commands.ingest(settings, ingest_args(FIXTURES / "home_coffee_faq.txt"))

    assert status == 0
    assert out_of(capsys).startswith(
        f"Wrote 60 draft entries to {tmp_path / 'new' / 'home-coffee-faq.yaml'}\n"
    )


def test_ingest_replacing_its_own_draft_keeps_the_same_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Re-ingesting with --force doesn't see its old draft as a clash."""
    settings = settings_for(tmp_path)
    article = FIXTURES / "stpm_article.txt"
    commands.ingest(settings, ingest_args(article))
    first = (tmp_path / "stpm-article.yaml").read_text().splitlines()[1:]
    commands.ingest(settings, ingest_args(article, force=True))
    second = (tmp_path / "stpm-article.yaml").read_text().splitlines()[1:]

    assert first == second


@pytest.mark.parametrize("linked", [False, True], ids=["file", "link"])
def test_ingest_never_replaces_a_file_others_depend_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], linked: bool
) -> None:
    """`--out knowledge/skills.yaml --force` would drop ids other files
    relate to: refused, exit 1, the file as it was, the knowledge loading;
    also when the file is a link (as a ConfigMap's are) and the folder holds
    an editor's dangling lock link and a named pipe."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    skills = directory / "skills.yaml"
    if linked:
        real = tmp_path / "elsewhere" / "skills.yaml"
        real.parent.mkdir()
        skills.rename(real)
        skills.symlink_to(real)
    (directory / ".#skills.yaml").symlink_to("user@host.1234:1")
    os.mkfifo(directory / "pipe")
    was = skills.read_bytes()
    args = ingest_args(FIXTURES / "home_coffee_faq.txt", out=skills, force=True)
    assert 1 == commands.ingest(settings_for(directory), args)
    said = capsys.readouterr().err
    assert f"replacing {skills} with the draft would break the knowledge" in said
    assert "related id" in said and "it is as it was" in said
    assert was == skills.read_bytes()
    assert [] == [p for p in loading.check(directory)[1] if not p.warning]


def test_ingest_force_is_not_refused_for_a_problem_already_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An error the knowledge has already (an id given twice, whose message
    names the other file's path) is not one the draft brings: replacing the
    draft is not refused for it."""
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    (directory / "zz-dup.yaml").write_text(
        "entries:\n  - id: skill-cloud\n    title: Again\n    answer: A.\n"
    )
    article = FIXTURES / "home_coffee_faq.txt"
    settings = settings_for(directory)
    assert 0 == commands.ingest(settings, ingest_args(article))
    capsys.readouterr()
    assert 0 == commands.ingest(settings, ingest_args(article, force=True))
    assert "would break" not in capsys.readouterr().err


def test_ingest_of_a_file_that_is_not_there_is_a_usage_mistake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped path: exit 2, one line naming it, nothing written."""
    settings = settings_for(tmp_path / "k")
    assert 2 == commands.ingest(settings, ingest_args(tmp_path / "nope.txt"))
    assert f"there is no file {tmp_path / 'nope.txt'}" in capsys.readouterr().err
    assert not (tmp_path / "k").exists()


def test_ingest_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An existing --out file is kept unless --force is given."""
    out = tmp_path / "draft.yaml"
    out.write_text("keep me")
    args = ingest_args(FIXTURES / "stpm_article.txt", out)

    assert commands.ingest(settings_for(tmp_path / "k"), args) == 1
    assert "already exists; use --force" in capsys.readouterr().err
    assert out.read_text() == "keep me"


def test_eval_reports_rates_and_misses(
    core: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`eval --verbose` prints the rates, then each miss and false answer."""
    labelled = tmp_path / "set.yaml"
    labelled.write_text(
        yaml.safe_dump(
            {
                "in_scope": [
                    {"q": CYBER, "expect": ["skill-cybersecurity"]},
                    {"q": CYBER, "expect": ["role-overview"]},
                ],
                "out_of_scope": ["xyzzy plugh"],
            }
        )
    )
    status = commands.evaluate(core, parsed("eval", str(labelled), "--verbose"))
    lines = out_of(capsys).splitlines()

    assert status == 0
    assert lines[:2] == ["top-1: 0.500 (1/2)", "out-of-scope refused: 1.000 (1/1)"]
    assert lines[2].startswith(f"MISS  '{CYBER}': expected role-overview; got ")


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("just text", "set.yaml:1: not a labelled question set (expected in_scope"),
        ("in_scope: [{q: x}]", "set.yaml:1: each in_scope item is {q: question"),
    ],
)
def test_eval_on_a_file_that_is_not_a_question_set(
    core: Core,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    said: str,
) -> None:
    """A malformed question set is refused with the expected format, exit 1."""
    labelled = tmp_path / "set.yaml"
    labelled.write_text(content)
    args = parsed("eval", str(labelled))

    assert commands.evaluate(core, args) == 1
    assert said in capsys.readouterr().err


def test_eval_takes_one_id_as_expect(
    core: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labelled = tmp_path / "set.yaml"
    labelled.write_text(
        "in_scope:\n  - q: what is an stpm\n    expect: role-definition\n"
    )
    assert 0 == commands.evaluate(core, parsed("eval", str(labelled)))
    assert "top-1: 1.000 (1/1)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "said", "status"),
    [
        ("a: &a [*a]\n", "set.yaml:1: aliases (*name) are not allowed here", 1),
        ("in_scope: [\n", "set.yaml:2: ", 1),
        ("in_scope: []\nout_of_scope: []\n", "set.yaml has no questions", 1),
        (None, "cannot read", 2),
        (
            "out_of_scope: whats the wifi password\n",
            "set.yaml:1: out_of_scope must be a list of questions",
            1,
        ),
        (
            "in_scope:\n  - q: what is an stpm\n",
            "set.yaml:2: each in_scope item is {q: question, expect: [entry ids]}",
            1,
        ),
        (
            "in_scope:\n  - q: what is an stpm\n    expect: [no-such-id]\n",
            "set.yaml: expect names ids the knowledge has no entry for: no-such-id",
            1,
        ),
        ("- just\n- a list\n", "set.yaml:1: not a labelled question set", 1),
        (
            "out_of_scop:\n  - whats the wifi password\n",
            "set.yaml:1: unknown key 'out_of_scop' (a set has in_scope and "
            "out_of_scope); did you mean 'out_of_scope'?",
            1,
        ),
    ],
    ids=[
        *("alias", "syntax", "empty", "missing", "oos-text", "no-expect", "id"),
        *("list", "misspelt"),
    ],
)
def test_eval_on_a_broken_set_says_so_in_one_line(
    core: Core,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    said: str,
    status: int,
) -> None:
    """A self-referencing alias (which once spun forever), a syntax error,
    a set with no questions, a missing file, questions not in a list, an
    item without its entry ids, an id no entry has: one line, at once, never
    a score of the wrong questions."""
    labelled = tmp_path / "set.yaml"
    if content is not None:
        labelled.write_text(content)
    assert commands.evaluate(core, parsed("eval", str(labelled))) == status
    [line] = capsys.readouterr().err.strip().splitlines()
    assert said in line


def test_eval_refuses_a_set_with_a_key_given_twice(
    core: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two `in_scope:` lists would silently become one: refused, exit 1."""
    labelled = tmp_path / "set.yaml"
    labelled.write_text(
        "in_scope:\n  - {q: is cloud important, expect: [skill-cloud]}\n"
        "in_scope:\n  - {q: is security important, expect: [skill-cybersecurity]}\n"
    )
    args = parsed("eval", str(labelled))

    assert commands.evaluate(core, args) == 1
    assert "set.yaml:3: error: 'in_scope' is given twice (also on line 1)" in (
        capsys.readouterr().err
    )


def test_settings_problems_name_the_environment_variables() -> None:
    """Each bad setting is named the way it is set: prefixed or Slack's name."""
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, answer_threshold="abc", PORT=0)

    lines = cli.settings_problems(caught.value)

    assert lines[0].startswith(
        "stpm-bot: invalid setting STPM_BOT_ANSWER_THRESHOLD='abc': "
    )
    assert lines[1].startswith("stpm-bot: invalid setting PORT=0: ")


def test_a_check_of_several_settings_never_shows_their_values() -> None:
    """Thresholds that don't fit together are named by the check's message;
    no setting's value is shown back (the tokens, the key and the database
    password among them), nor a bad token's or database URL's."""
    with pytest.raises(ValidationError) as caught:
        Settings(
            _env_file=None,
            answer_threshold=50,
            suggest_threshold=60,
            SLACK_BOT_TOKEN="xoxb-secret-token",
            user_hash_key="secret-key-value",
            database_url="postgresql://u:secret-password@127.0.0.1/x",
        )
    [line] = cli.settings_problems(caught.value)
    assert line.startswith("stpm-bot: invalid settings: ")
    assert "STPM_BOT_SUGGEST_THRESHOLD=60" in line
    assert "secret" not in line


def test_an_unexpected_error_is_one_line_and_exit_70(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Whatever breaks, the user sees one line, never a traceback."""

    def broken() -> int:
        raise RuntimeError("boom")

    with capture_logs() as logs:
        status = cli.safely(broken)
    err = capsys.readouterr().err

    assert status == 70
    assert err == "stpm-bot: internal error: RuntimeError: boom (details logged)\n"
    assert logs[0]["event"] == "cli.crashed"


def test_ctrl_c_exits_130_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    """Interrupting a command ends it with the usual status, no traceback."""

    def interrupted() -> int:
        raise KeyboardInterrupt

    assert cli.safely(interrupted) == 130
    assert "Traceback" not in capsys.readouterr().err


def test_every_command_has_help() -> None:
    """The parser offers every command of the contract, each with help."""
    help_text = cli.parser().format_help()

    for command in ("ask", "skill", "tip", "chat", "run", "validate", "ingest", "eval"):
        assert f"    {command} " in help_text
