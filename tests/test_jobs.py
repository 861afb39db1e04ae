"""`stpm-bot post-tips` and `stpm-bot report`, run as cron runs them: a real
process, a SQLite file (or PostgreSQL), and the fake Slack Web API over HTTP on
127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.answers.schedule import tip_order
from bot.knowledge.models import Knowledge
from bot.slack import blocks
from tests.support.cli import cli
from tests.support.fake_slack import Call, FakeSlack
from tests.support.paths import ROOT

pytestmark = pytest.mark.slow

MONDAY, TUESDAY, SATURDAY = "2030-01-07", "2030-01-08", "2030-01-12"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def slack_env(fake: FakeSlack) -> dict[str, str]:
    fake.reset()
    return {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_BASE_URL": fake.api_url,
        "STPM_BOT_TIPS_CHANNELS": "C0TIPS01,C0TIPS02",
    }


def _tips_shown(calls: list[Call], knowledge: Knowledge) -> list[tuple[str, str]]:
    by_text = {blocks.daily_tip(t, knowledge).text: t.id for t in knowledge.tips}
    return [(c.body["channel"], by_text[c.body["text"]]) for c in calls]


def test_post_tips_twice_posts_once_and_the_next_date_the_next_tip(
    tmp_path: Path, fake: FakeSlack, slack_env: dict[str, str], knowledge: Knowledge
) -> None:
    """Each configured channel gets the first tip, once; Tuesday the second."""
    first = cli(tmp_path, "post-tips", "--date", MONDAY, env=slack_env)
    again = cli(tmp_path, "post-tips", "--date", MONDAY, env=slack_env)
    tuesday = cli(tmp_path, "post-tips", "--date", TUESDAY, env=slack_env)
    assert (0, 0, 0) == (first.returncode, again.returncode, tuesday.returncode)
    assert f"Tips for {MONDAY}: 2 posted\n" == first.stdout
    assert f"Tips for {MONDAY}: 2 already posted\n" == again.stdout
    one, two = (t.id for t in tip_order(knowledge)[:2])
    assert [
        ("C0TIPS01", one),
        ("C0TIPS02", one),
        ("C0TIPS01", two),
        ("C0TIPS02", two),
    ] == _tips_shown(fake.delivered("chat.postMessage"), knowledge)


def test_two_processes_sharing_a_database_post_each_tip_once(
    tmp_path: Path,
    fake: FakeSlack,
    slack_env: dict[str, str],
    database_url: str,
) -> None:
    """Two `post-tips` at once on one SQLite file or PostgreSQL: one tip each."""
    env = slack_env | {"STPM_BOT_DATABASE_URL": database_url}
    with ThreadPoolExecutor(2) as pool:
        runs = list(
            pool.map(
                lambda _: cli(tmp_path, "post-tips", "--date", MONDAY, env=env),
                range(2),
            )
        )
    assert [0, 0] == [r.returncode for r in runs]
    channels = [c.body["channel"] for c in fake.delivered("chat.postMessage")]
    assert ["C0TIPS01", "C0TIPS02"] == sorted(channels)


def test_post_tips_on_a_weekend_posts_nothing(
    tmp_path: Path, fake: FakeSlack, slack_env: dict[str, str]
) -> None:
    """Saturday without STPM_BOT_TIPS_WEEKENDS: no posts, exit 0."""
    done = cli(tmp_path, "post-tips", "--date", SATURDAY, env=slack_env)
    assert 0 == done.returncode
    assert "none at weekends" in done.stdout
    assert [] == fake.delivered("chat.postMessage")


def test_a_channel_the_bot_left_is_paused_not_retried(
    tmp_path: Path, fake: FakeSlack, slack_env: dict[str, str]
) -> None:
    """not_in_channel: that channel is paused; the next day only the other posts."""
    fake.fail_channel("C0TIPS02", "not_in_channel")
    monday = cli(tmp_path, "post-tips", "--date", MONDAY, env=slack_env)
    tuesday = cli(tmp_path, "post-tips", "--date", TUESDAY, env=slack_env)
    assert "1 paused (Slack refused the channel; see the log)" in monday.stdout
    assert (1, 0) == (monday.returncode, tuesday.returncode)  # the refusal: once
    assert (
        f"Tips for {TUESDAY}: 1 posted, 1 still paused (see `/stpm tips` there)\n"
        == tuesday.stdout
    )
    assert "tips.paused" in monday.stderr
    attempts = [c for c in fake.calls if c.body.get("channel") == "C0TIPS02"]
    assert 1 == len(attempts)


def test_post_tips_without_a_token_says_what_is_missing(tmp_path: Path) -> None:
    """No SLACK_BOT_TOKEN: one line, exit 2, nothing posted."""
    done = cli(tmp_path, "post-tips")
    assert 2 == done.returncode
    assert (
        "stpm-bot: post-tips needs SLACK_BOT_TOKEN\n"
        == done.stderr.splitlines(keepends=True)[-1]
    )


def test_report_after_questions_asked_in_the_terminal(tmp_path: Path) -> None:
    """Questions from `ask` are counted; `report --json` groups the gaps."""
    questions = [
        "how important is cybersecurity for an stpm",
        "what is the wifi password",
        "whats the wifi password?",
    ]
    cli(tmp_path, "ask", "-", stdin="\n".join(questions).encode())
    done = cli(tmp_path, "report", "--json")
    data = json.loads(done.stdout)
    assert (3, 1, 2) == (
        data["questions"]["total"],
        data["questions"]["answered"],
        data["questions"]["no_match"],
    )
    [wifi] = data["unanswered"]
    assert 2 == wifi["count"]
    text = cli(tmp_path, "report").stdout
    assert "Questions: 3; answered 1 (33%)" in text


def test_report_post_sends_the_digest_without_pings(
    tmp_path: Path, fake: FakeSlack, slack_env: dict[str, str]
) -> None:
    """--post: the digest goes to the curators' channel; typed pings stay inert."""
    cli(tmp_path, "ask", "<!channel> where is the wifi &lt;!here&gt;", env=slack_env)
    env = slack_env | {"STPM_BOT_CURATORS_CHANNEL": "C0CURATE"}
    done = cli(tmp_path, "report", "--post", env=env)
    assert 0 == done.returncode
    [post] = fake.delivered("chat.postMessage")
    assert "C0CURATE" == post.body["channel"]
    shown = json.dumps(post.body)
    assert "Knowledge gaps since" in shown
    assert "<!here>" not in shown and "<!channel>" not in shown
    sections = [b for b in post.body["blocks"] if b["type"] == "section"]
    quoting = [b for b in sections if "wifi" in b["text"]["text"]]
    assert quoting and all(b["text"]["verbatim"] for b in quoting)  # no auto-links


@pytest.mark.parametrize(
    "failure",
    [{"reset": True}, {"status": 500, "error": "internal_error"}],
    ids=["reset", "500"],
)
def test_a_digest_slack_posted_but_answered_with_a_failure_is_posted_once(
    tmp_path: Path, fake: FakeSlack, slack_env: dict[str, str], failure: dict[str, Any]
) -> None:
    """Slack posts the digest, then drops the connection (or answers 500):
    the channel is looked at, the digest found, no second one; exit 0."""
    env = slack_env | {"STPM_BOT_CURATORS_CHANNEL": "C0CURATE"}
    fake.fail_next("chat.postMessage", after_delivery=True, **failure)
    done = cli(tmp_path, "report", "--post", env=env)
    assert 0 == done.returncode, done.stderr
    assert 1 == len(fake.delivered("chat.postMessage"))
    assert fake.delivered("conversations.history")


def test_a_digest_whose_last_try_fails_after_posting_says_to_look(
    tmp_path: Path, fake: FakeSlack, slack_env: dict[str, str]
) -> None:
    """Slack answers 500 to every try, the last after posting it: the bot
    can't tell, so it says to look in the channel before running it again,
    never "refused" (which invites a second digest); exit 1."""
    env = slack_env | {"STPM_BOT_CURATORS_CHANNEL": "C0CURATE"}
    for _ in range(2):
        fake.fail_next("chat.postMessage", status=500, error="internal_error")
    fake.fail_next(
        "chat.postMessage", status=500, error="internal_error", after_delivery=True
    )
    done = cli(tmp_path, "report", "--post", env=env)
    assert 1 == done.returncode
    assert 1 == len(fake.delivered("chat.postMessage"))
    last = done.stderr.splitlines()[-1]
    assert "may not have been posted to C0CURATE" in last and "look there" in last
    assert "refused" not in last


def test_a_database_that_fails_mid_run_costs_that_tip_and_one_line(
    tmp_path: Path, fake: FakeSlack, slack_env: dict[str, str]
) -> None:
    """The store opens, then can't be written (the disk full under the
    claim): that tip is not posted and is reported as not known to be,
    in one line with the cause in the log; exit 1, so a retry tries again."""
    env = slack_env | {"STPM_BOT_TIPS_CHANNELS": "C0TIPS01"}
    assert 0 == cli(tmp_path, "post-tips", "--date", MONDAY, env=env).returncode
    files = (tmp_path / "data").iterdir()
    full = max(f.stat().st_size for f in files)  # no file may grow: a full disk
    done = cli(tmp_path, "post-tips", "--date", TUESDAY, env=env, file_bytes=full)
    assert 1 == done.returncode
    assert (
        f"Tips for {TUESDAY}: 1 not known to be posted (the database failed; "
        "see the log)\n" == done.stdout
    )
    assert "tips.store_failed" in done.stderr
    assert 1 == len(fake.delivered("chat.postMessage"))  # Monday's alone
    again = cli(tmp_path, "post-tips", "--date", TUESDAY, env=env)
    assert (0, f"Tips for {TUESDAY}: 1 posted\n") == (again.returncode, again.stdout)


def test_report_post_needs_a_curators_channel(tmp_path: Path) -> None:
    """--post without STPM_BOT_CURATORS_CHANNEL: a usage error, exit 2."""
    done = cli(tmp_path, "report", "--post")
    assert 2 == done.returncode
    assert "STPM_BOT_CURATORS_CHANNEL" in done.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_run_posts_due_tips_from_its_scheduler(
    tmp_path: Path, fake: FakeSlack, slack_env: dict[str, str]
) -> None:
    """`stpm-bot run` (HTTP mode) posts a configured channel's due tip by itself."""
    due = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STPM_", "SLACK_"))}
    env |= slack_env | {
        "PYTHONPATH": str(ROOT),
        "STPM_BOT_DATA_DIR": str(tmp_path / "data"),
        "STPM_BOT_LOG_FORMAT": "json",
        "STPM_BOT_TIPS_CHANNELS": "C0TIPS01",
        "STPM_BOT_TIPS_TIME": due.strftime("%H:%M"),
        "STPM_BOT_TIPS_WEEKENDS": "true",
        "STPM_BOT_RELOAD_INTERVAL": "0",
        "SLACK_SIGNING_SECRET": "secret",
        "STPM_BOT_HOST": "127.0.0.1",
        "PORT": str(_free_port()),
    }
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        [post] = fake.wait_delivered("chat.postMessage", timeout=30)
    finally:
        bot.send_signal(signal.SIGTERM)
        _, stderr = bot.communicate(timeout=30)
    assert "C0TIPS01" == post.body["channel"]
    assert 0 == bot.returncode
    assert b"tips.scheduler_started" in stderr


def test_report_never_prints_a_terminal_escape_someone_typed(tmp_path: Path) -> None:
    """A stored question with an escape sequence is shown as text (\\x1b),
    so `report` can't recolour, clear or retitle the curator's terminal."""
    cli(tmp_path, "ask", "what is the \x1b[2J\x1b]0;owned\x07 wifi password")
    text = cli(tmp_path, "report").stdout
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[2J" in text
