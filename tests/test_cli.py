"""The `stpm-bot` command line, run as a user runs it: a real process."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.answers.schedule import tip_for
from bot.knowledge.models import Knowledge
from tests.support.cli import ASK_JSON_KEYS, clean_env, cli
from tests.support.paths import FIXTURES, KNOWLEDGE_DIR, ROOT

pytestmark = pytest.mark.slow

CYBER = "how important is cybersecurity for an stpm"


def events(stderr: str) -> list[str]:
    return [json.loads(line)["event"] for line in stderr.splitlines()]


def assert_ask_shape(data: dict[str, Any]) -> None:
    assert set(data) == ASK_JSON_KEYS
    assert data["outcome"] in ("answered", "suggested", "no_match", "empty")
    assert bool(data["answers"]) == (data["outcome"] == "answered")
    for answer in data["answers"]:
        assert set(answer) == {"id", "title", "text", "score", "related"}
        assert all(set(r) == {"id", "title"} for r in answer["related"])
    assert all(set(s) == {"id", "title"} for s in data["suggestions"])


def test_ask_prints_the_answer_and_logs_on_stderr_only(tmp_path: Path) -> None:
    """`ask` prints the answer for a person; the faq.answered log goes to stderr."""
    done = cli(tmp_path, "ask", CYBER)

    assert done.returncode == 0
    assert done.stdout.startswith("Cybersecurity\n")
    assert "Source: Technical skills table" in done.stdout
    assert "Related: " in done.stdout
    assert events(done.stderr) == ["retriever.ready", "faq.answered"]


def test_ask_json_has_the_contract_shape(tmp_path: Path) -> None:
    """`ask --json` prints one object: question, answers best first, suggestions."""
    done = cli(tmp_path, "ask", "--json", CYBER)
    data = json.loads(done.stdout)

    assert_ask_shape(data)
    assert data["question"] == CYBER
    assert data["answers"][0]["id"] == "skill-cybersecurity"
    scores = [a["score"] for a in data["answers"]]
    assert scores == sorted(scores, reverse=True)


def test_batch_survives_invalid_utf8_and_blank_lines(tmp_path: Path) -> None:
    """`ask -`: one JSON line per input line, in order, whatever the bytes."""
    stdin = f"{CYBER}\n\n\xff\xfe bad bytes\r\nxyzzy plugh\n".encode("latin-1")
    done = cli(tmp_path, "ask", "-", stdin=stdin)
    lines = [json.loads(line) for line in done.stdout.splitlines()]

    assert done.returncode == 0
    for data in lines:
        assert_ask_shape(data)
    assert [d["question"] for d in lines] == [
        CYBER,
        "",
        "\ufffd\ufffd bad bytes",
        "xyzzy plugh",
    ]
    assert lines[0]["answers"][0]["id"] == "skill-cybersecurity"
    assert lines[1] == {
        "question": "",
        "outcome": "empty",
        "general_only": [],
        "answers": [],
        "suggestions": [],
        "parts": [],
    }


def test_a_question_with_bytes_that_are_not_utf8_is_answered(tmp_path: Path) -> None:
    """A terminal passes bytes that aren't UTF-8 on as they are: the question
    is answered, and recorded when it has no answer, with U+FFFD in their
    place; never an internal error."""
    unanswered = os.fsdecode(b"what is \xff the wifi password")
    done = cli(tmp_path, "ask", "--json", unanswered)
    assert 0 == done.returncode, done.stderr
    assert "what is \ufffd the wifi password" == json.loads(done.stdout)["question"]
    assert "internal error" not in done.stderr
    done = cli(tmp_path, "ask", os.fsdecode(b"what is \xff an stpm"))
    assert 0 == done.returncode, done.stderr
    assert done.stdout.startswith("Defining the STPM role")


@pytest.mark.parametrize(
    ("closed", "args", "status", "said"),
    [
        ("2>&-", "skill cloud", 0, "Cloud computing: High"),
        ("<&-", "ask -", 0, ""),
        ("<&-", "run", 2, ""),
    ],
    ids=["stderr", "stdin-ask", "stdin-run"],
)
def test_a_closed_standard_stream_is_no_crash(
    tmp_path: Path, closed: str, args: str, status: int, said: str
) -> None:
    """Started with stderr or stdin closed (`2>&-`, `<&-`), a command does
    what it would do: `skill` answers, `ask -` reads no question, `run`
    without a terminal (nor Slack settings) is exit 2; no internal error."""
    env = clean_env(tmp_path)
    done = subprocess.run(
        f"exec {shlex.quote(sys.executable)} -m bot {args} {closed}",
        shell=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert status == done.returncode, done.stderr
    assert said in done.stdout
    assert "internal error" not in done.stderr + done.stdout


def test_a_misspelt_setting_in_dot_env_is_named(tmp_path: Path) -> None:
    """A name in `.env` that is no setting gets "did you mean", as one in
    the environment does, in lower case too; the command still runs, and a
    line `.env` can't parse is warned of once."""
    (tmp_path / ".env").write_text(
        "STPM_BOT_MAX_SUGESTIONS=3\nstpm_bot_anser_threshold=50\nnot a line\n"
    )
    done = cli(tmp_path, "skill", "cloud")
    assert 0 == done.returncode
    assert (
        "stpm-bot: STPM_BOT_MAX_SUGESTIONS is not a setting and is ignored; did "
        "you mean STPM_BOT_MAX_SUGGESTIONS?"
    ) in done.stderr
    assert (
        "stpm-bot: stpm_bot_anser_threshold is not a setting and is ignored; did "
        "you mean STPM_BOT_ANSWER_THRESHOLD?"
    ) in done.stderr
    assert 1 == done.stderr.count("could not parse statement")


def test_a_dot_env_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"STPM_BOT_LOG_LEVEL=INFO\nX=\xff\n")
    done = cli(tmp_path, "skill", "cloud")
    assert 2 == done.returncode
    assert [
        f"stpm-bot: .env in {tmp_path} is not UTF-8 text (byte 26): fix or remove it"
    ] == [line for line in done.stderr.splitlines() if not line.startswith("{")]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_output_to_a_full_disk_is_one_line_not_a_crash(tmp_path: Path) -> None:
    """`stpm-bot skill cloud > /dev/full`: the write fails with "no space";
    one line saying so, exit 74 (an output error), never "internal error"."""
    env = clean_env(tmp_path)
    with Path("/dev/full").open("w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "skill", "cloud"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=60,
            check=False,
        )
    assert 74 == done.returncode
    assert [
        "stpm-bot: cannot write (No space left on device): free some space, or "
        "send the output elsewhere"
    ] == [line for line in done.stderr.splitlines() if not line.startswith("{")]


@pytest.mark.parametrize("force", [False, True], ids=["new", "replacing"])
def test_ingest_on_a_full_disk_leaves_no_cut_file(tmp_path: Path, force: bool) -> None:
    """The draft can't be written in full (a file-size limit, as a full disk
    would): one line, exit 1; no cut draft in the knowledge folder (nor a
    replaced one cut), so the knowledge still loads."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    article = FIXTURES / "stpm_article.txt"
    draft = knowledge / "stpm-article.yaml"
    if force:
        assert (
            0
            == cli(tmp_path, "ingest", str(article), knowledge_dir=knowledge).returncode
        )
    was = draft.read_bytes() if force else None
    args = ["ingest", str(article), *(["--force"] if force else [])]
    done = cli(tmp_path, *args, knowledge_dir=knowledge, file_bytes=2048)
    assert 1 == done.returncode
    assert "cannot write" in done.stderr and "internal error" not in done.stderr
    assert was == (draft.read_bytes() if draft.exists() else None)
    assert [] == [p.name for p in knowledge.iterdir() if p.name.startswith(".")]
    checked = cli(tmp_path, "validate", knowledge_dir=knowledge)
    assert 0 == checked.returncode, checked.stdout


def test_an_empty_question_gets_a_friendly_prompt(tmp_path: Path) -> None:
    """Asking nothing is not an error: the bot says what it can answer."""
    done = cli(tmp_path, "ask", "   ")

    assert done.returncode == 0
    assert done.stdout.startswith("Ask me something about the Senior Technical")
    assert "For example:" in done.stdout


def test_a_10000_character_question_is_cut_and_answered(tmp_path: Path) -> None:
    """A huge question is cut to a sane length and still answered."""
    question = (f"{CYBER}? " * 300)[:10_000]
    data = json.loads(cli(tmp_path, "ask", "--json", question).stdout)

    assert data["answers"][0]["id"] == "skill-cybersecurity"


def test_skill_by_name_alias_or_typo(tmp_path: Path) -> None:
    """`skill NAME` prints 'Name: Importance'; `--json` the same as an object."""
    text = cli(tmp_path, "skill", "cybersecurty")
    data = json.loads(cli(tmp_path, "skill", "--json", "AI/ML").stdout)

    assert text.stdout == "Cybersecurity: High\n"
    assert data == {
        "skill": "Artificial intelligence and machine learning",
        "importance": "Medium",
    }


def test_skill_unknown_exits_1_with_suggestions(tmp_path: Path) -> None:
    """An unknown skill name exits 1 and suggests up to three real skills."""
    done = cli(tmp_path, "skill", "--json", "cooking")
    data = json.loads(done.stdout)

    assert done.returncode == 1
    assert data["skill"] is None
    assert len(data["suggestions"]) == 3


def test_tip_is_the_same_for_a_date_in_every_process(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    """`tip --json --date` gives that date's tip, as any other process would."""
    done = cli(tmp_path, "tip", "--json", "--date", "2025-01-31")
    expected = tip_for(knowledge, dt.date(2025, 1, 31))

    assert json.loads(done.stdout) == {
        "date": "2025-01-31",
        "id": expected.id,
        "text": expected.text.strip(),
    }


@pytest.mark.parametrize("date", ["2025-13-45", "20270203", "2027-W05-3"])
def test_tip_with_a_bad_date_exits_2(tmp_path: Path, date: str) -> None:
    """A date that isn't YYYY-MM-DD is a usage error, explained: not a day
    of the year, nor another way of writing one."""
    done = cli(tmp_path, "tip", "--date", date)

    assert done.returncode == 2
    assert f"'{date}' is not a date; use YYYY-MM-DD" in done.stderr


def test_validate_the_shipped_knowledge(tmp_path: Path) -> None:
    """The shipped knowledge validates: a summary and exit status 0."""
    done = cli(tmp_path, "validate")

    assert done.returncode == 0
    assert done.stdout.splitlines()[-1].startswith("OK: ")
    assert " entries, " in done.stdout


def test_validate_warns_of_a_phrasing_that_misses_its_entry(tmp_path: Path) -> None:
    """Two entries with the same phrasing: each phrasing only gets "did you
    mean", a warning with file, line and entry on both; warnings alone still
    exit 0."""
    directory = tmp_path / "k"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    (directory / "extra.yaml").write_text(
        "entries:\n"
        "  - id: zz-cloud-again\n"
        "    title: Cloud again\n"
        "    answer: Fine.\n"
        "    questions: [how much does cloud computing matter to a senior tpm]\n"
    )
    done = cli(tmp_path, "validate", knowledge_dir=directory)

    assert done.returncode == 0
    warning = f"{directory / 'extra.yaml'}:2 [zz-cloud-again]: warning: "
    assert warning + '"how much does cloud computing matter' in done.stdout
    assert 'only gets "did you mean" (skill-cloud 100.0, zz-cloud-again' in done.stdout
    assert "[skill-cloud]: warning: " in done.stdout
    assert done.stdout.splitlines()[-1].startswith("OK: 30 entries")


def test_validate_asks_a_huge_knowledges_phrasings_only_when_told(
    tmp_path: Path,
) -> None:
    """Past 5,000 phrasings, asking each would take minutes: validate says it
    skipped them, and asks them with --all-phrasings."""
    directory = tmp_path / "k"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    entries = [
        {
            "id": f"zz-bulk-{n}",
            "title": f"Bulk {n}",
            "answer": "Fine.",
            "questions": [f"bulk question {n} variant {v}" for v in range(50)],
        }
        for n in range(100)
    ]
    (directory / "bulk.yaml").write_text(yaml.safe_dump({"entries": entries}))
    quick = cli(tmp_path, "validate", knowledge_dir=directory)
    full = cli(tmp_path, "validate", "--all-phrasings", knowledge_dir=directory)

    skipped = "Phrasings not asked: "
    assert 0 == quick.returncode
    assert skipped in quick.stdout
    assert skipped not in full.stdout
    assert "warning" in full.stdout  # the bulk phrasings are alike: they cross


BROKEN_ENTRIES = """\
entries:
  - id: zz-unknown-related
    title: Unknown related
    answer: Fine.
    related: [no-such-entry]
  - id: skill-cloud
    title: Duplicate id
    answer: Fine.
  - id: zz-same-question
    title: Same question
    answer: Fine.
    questions: ["{question}"]
  - id: zz-empty-answer
    title: Empty answer
    answer: "   "
  - id: zz-huge
    title: Huge skill
    answer: Fine.
    skill: {{name: Huge, importance: Huge}}
"""
BROKEN_YAML = "entries:\n  - id: zz-bad\n    title: [unclosed\n    answer: x\n"


@pytest.fixture(scope="module")
def broken(
    tmp_path_factory: pytest.TempPathFactory,
) -> subprocess.CompletedProcess[str]:
    """`validate` over a copy of the knowledge with one file of each mistake."""
    directory = tmp_path_factory.mktemp("broken") / "k"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    question = yaml.safe_load((directory / "skills.yaml").read_text("utf-8"))
    asked = question["entries"][0]["questions"][0]
    (directory / "zz-broken.yaml").write_text(BROKEN_ENTRIES.format(question=asked))
    (directory / "zz-syntax.yaml").write_text(BROKEN_YAML)
    return cli(directory.parent, "validate", knowledge_dir=directory)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            "zz-broken.yaml:2 [zz-unknown-related]",
            "related id 'no-such-entry' does not exist",
        ),
        ("zz-broken.yaml:6 [skill-cloud]", "duplicate id"),
        (
            "zz-broken.yaml:9 [zz-same-question]",
            "is also under entry 'technical-skills'",
        ),
        (
            "zz-broken.yaml:13 [zz-empty-answer]",
            "answer: Value error, must not be empty",
        ),
        ("zz-broken.yaml:16 [zz-huge]", "skill.importance: Input should be"),
        ("zz-syntax.yaml:4", "YAML syntax error"),
    ],
)
def test_validate_names_the_file_line_and_entry_of_every_problem(
    broken: subprocess.CompletedProcess[str], where: str, message: str
) -> None:
    """Each mistake is one line: file:line [entry]: error: message; exit 1.
    Phrasings aren't asked of knowledge with errors: no warnings about them."""
    lines = broken.stdout.splitlines()
    mine = [line for line in lines if f"{where}: error: " in line]
    assert broken.returncode == 1
    assert len(mine) == 1, lines
    assert message in mine[0]
    assert "6 errors, 0 warnings" == lines[-1]


def test_broken_knowledge_stops_ask_with_the_problems(tmp_path: Path) -> None:
    """Other commands refuse broken knowledge: the problems, exit 1."""
    directory = tmp_path / "k"
    directory.mkdir()
    (directory / "bad.yaml").write_text(BROKEN_YAML)
    done = cli(tmp_path, "ask", "anything", knowledge_dir=directory)

    assert done.returncode == 1
    assert "bad.yaml:4: error: YAML syntax error" in done.stderr
    assert done.stdout == ""


def test_invalid_settings_exit_2_naming_the_variable(tmp_path: Path) -> None:
    """A bad setting is named as set in the environment, one line each."""
    done = cli(tmp_path, "skill", "cloud", STPM_BOT_ANSWER_THRESHOLD="abc")

    assert done.returncode == 2
    assert done.stderr.startswith(
        "stpm-bot: invalid setting STPM_BOT_ANSWER_THRESHOLD='abc'"
    )


def test_a_bad_web_api_url_is_a_setting_mistake_not_a_crash(tmp_path: Path) -> None:
    """`SLACK_API_BASE_URL=notaurl` for a job that posts: exit 2, one line
    naming the variable, nothing tried."""
    done = cli(
        tmp_path,
        "post-tips",
        SLACK_BOT_TOKEN="xoxb-1-2-abc",
        SLACK_API_BASE_URL="notaurl",
    )
    assert 2 == done.returncode
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("stpm-bot: invalid setting SLACK_API_BASE_URL='notaurl'")


def test_run_without_slack_and_without_a_terminal_says_what_to_set(
    tmp_path: Path,
) -> None:
    """A service started with no Slack settings (no terminal to chat in)
    fails with one line naming them, instead of exiting 0 at once."""
    done = cli(tmp_path, "run", stdin=f"{CYBER}\nquit\n".encode())

    assert 2 == done.returncode
    assert "no Slack settings (SLACK_BOT_TOKEN" in done.stderr
    assert "" == done.stdout


def test_run_half_configured_names_what_is_missing(tmp_path: Path) -> None:
    """A token without the app token or signing secret: exit 2, never the chat."""
    done = cli(tmp_path, "run", SLACK_BOT_TOKEN="xoxb-1-2-abc")
    assert 2 == done.returncode
    assert (
        "half configured: set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET"
        in done.stderr
    )
    assert "terminal chat." not in done.stdout


def test_a_misspelt_setting_is_named_with_the_right_one(tmp_path: Path) -> None:
    done = cli(
        tmp_path,
        "ask",
        CYBER,
        STPM_BOT_ANSWER_TRESHOLD="70",
        STPM_BOT_LOG_LEVEL="warning",
    )
    assert 0 == done.returncode
    assert (
        "stpm-bot: STPM_BOT_ANSWER_TRESHOLD is not a setting and is ignored; "
        "did you mean STPM_BOT_ANSWER_THRESHOLD?"
    ) in done.stderr
    assert "faq.answered" not in done.stderr  # "warning", lower case, was taken


def test_a_chat_session(tmp_path: Path) -> None:
    """The chat answers questions, /skill, /tip, help and /show, until quit."""
    stdin = f"{CYBER}\n/skill ml\n/tip\nhelp\n/show skill-cloud\nquit\n".encode()
    out = cli(tmp_path, "chat", stdin=stdin).stdout

    assert "\nCybersecurity\nCybersecurity is rated High" in out
    assert "\nArtificial intelligence and machine learning: Medium\n" in out
    assert "\nTip for " in out
    assert "/skill NAME" in out
    assert "\nCloud computing\nCloud computing is rated High" in out
    assert "you>" not in out


def test_ingest_writes_a_draft_that_validates(tmp_path: Path) -> None:
    """`ingest` drafts into the knowledge directory; it never overwrites by accident."""
    directory = tmp_path / "k"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    article = str(FIXTURES / "stpm_article.txt")

    first = cli(tmp_path, "ingest", article, knowledge_dir=directory)
    again = cli(tmp_path, "ingest", article, knowledge_dir=directory)
    checked = cli(tmp_path, "validate", knowledge_dir=directory)

    assert first.returncode == 0
    assert first.stdout.startswith(
        f"Wrote 36 draft entries to {directory / 'stpm-article.yaml'}"
    )
    assert again.returncode == 1
    assert "already exists; use --force" in again.stderr
    assert checked.returncode == 0


def test_the_console_script_behaves_like_python_m_bot(tmp_path: Path) -> None:
    """The installed `stpm-bot` script runs the same CLI as `python -m bot`."""
    script = Path(sys.executable).with_name("stpm-bot")
    if not script.exists():
        pytest.skip("stpm-bot is not installed in this environment")
    done = subprocess.run(
        [str(script), "skill", "infra"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "STPM_BOT_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR)},
        check=False,
    )

    assert done.stdout == "Networking and infrastructure: High\n"


def test_skill_takes_several_words_like_ask(tmp_path: Path) -> None:
    done = cli(tmp_path, "skill", "cloud", "computing")
    assert 0 == done.returncode
    assert "Cloud computing: High" == done.stdout.strip()


def test_a_reader_that_goes_away_is_not_success(tmp_path: Path) -> None:
    """`stpm-bot ask - | head -1`: the cut-off output stops quietly, with the
    status a process stopped by SIGPIPE has, never 0 and never a traceback."""
    questions = "".join(f"{CYBER}\n" for _ in range(2000)).encode()
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("STPM_BOT_", "SLACK_"))
    }
    clean |= {
        "PYTHONPATH": str(ROOT),
        "STPM_BOT_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR),
        "STPM_BOT_DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / "stderr.log"
    with log.open("wb") as errors:
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "ask", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=clean,
            cwd=tmp_path,
        )
        assert bot.stdin is not None and bot.stdout is not None
        feed = bot.stdin

        def write() -> None:
            with contextlib.suppress(BrokenPipeError):
                feed.write(questions)
                feed.close()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        bot.stdout.readline()
        bot.stdout.close()  # the reader goes away after one line
        status = bot.wait(timeout=60)
    assert 141 == status
    assert b"Traceback" not in log.read_bytes()


@pytest.mark.parametrize("after", [0.2, 0.35])
def test_ctrl_c_while_the_bot_is_still_loading_is_quiet(
    tmp_path: Path, after: float
) -> None:
    """Ctrl-C in the first half second (the imports): exit 130, no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STPM_BOT_")}
    env |= {"PYTHONPATH": str(ROOT), "STPM_BOT_DATA_DIR": str(tmp_path / "data")}
    started = subprocess.Popen(
        [sys.executable, "-m", "bot", "tip"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    threading.Event().wait(after)
    started.send_signal(signal.SIGINT)
    out, err = started.communicate(timeout=30)
    if out:  # the machine loaded it all before the signal: nothing to see
        pytest.skip(f"the tip was out within {after} s")
    assert b"Traceback" not in err, err.decode()
    assert 130 == started.returncode
