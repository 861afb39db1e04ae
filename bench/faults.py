"""Fault suite (a benchmark, not a test): is anything acknowledged lost, or
posted twice, while Slack misbehaves or the bot is killed?

    .venv/bin/python bench/faults.py [--mentions 200] [--concurrency 10]
        [--no-im-write]

The bot runs as `stpm-bot run` in its own process (HTTP mode, SQLite store),
against the fake Slack Web API from the tests, which this process drives
through phases. Each phase sends `--mentions` signed `app_mention` events,
each in a channel of its own, and the fake fails the first `--faulty` posts:

- `429`: rate limited (Retry-After 1 s), nothing posted;
- `500`: half posted then answered 500, half not posted;
- `hang`: posted, and answered after the client gave up (12 s);
- `reset`: half posted then the connection reset, half reset before posting;
- `kill`: SIGKILL halfway through the burst with replies hanging at Slack
  (some already posted), then a restart; events that never got their 200
  are sent again with `X-Slack-Retry-Num`, as Slack does;
- `reset-dm`: as `reset`, for messages sent to a person's user id: each of
  `--mentions` people clicks an entry in App Home, which goes to their DM.
  `--no-im-write`: the fake refuses `conversations.open`, as for an app
  installed without `im:write` (the bot can't look in those DMs).

For each phase it prints events acknowledged (HTTP 200), answered (at least one
reply in the event's channel), lost (acknowledged and never answered) and
duplicated (replies beyond the first); for `kill`, how many acknowledged
events had no reply yet when the bot was killed. At the end: the totals and the
bot's exit code on SIGTERM (0 expected); the script exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/faults.py`
    sys.path.insert(0, str(ROOT))

from tests.support.fake_slack import FakeSlack  # noqa: E402
from tests.support.harness import (  # noqa: E402
    SlackSender,
    block_action,
    envelope,
    mention,
)
from tests.support.process import bot_env, free_port, wait_healthy  # noqa: E402

QUESTION = "what does a senior tpm do?"
SETTLE_SECONDS = 90  # how long replies may take to arrive after a phase
LEASE_SECONDS = 3
PHASES = ("429", "500", "hang", "reset", "kill", "reset-dm")


@dataclass
class Phase:
    name: str
    sent: int = 0
    acked: int = 0
    answered: int = 0
    lost: int = 0
    duplicated: int = 0
    unanswered_at_kill: int | None = None  # acked, no reply yet, when killed


class Bot:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.address = ("127.0.0.1", int(env["PORT"]))
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                env=self.env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        wait_healthy(self.address, self.process)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=120)


def _faults(fake: FakeSlack, phase: str, faulty: int) -> None:
    method = "chat.postMessage"
    for n in range(faulty):
        if phase == "429":
            fake.fail_next(method, status=429, retry_after=1)
        elif phase == "500":
            fake.fail_next(method, status=500, after_delivery=n % 2 == 0)
        elif phase == "hang":
            fake.fail_next(method, delay=12, after_delivery=True)
        elif phase in ("reset", "reset-dm"):
            fake.fail_next(method, reset=True, after_delivery=n % 2 == 0)
        elif phase == "kill":
            fake.fail_next(method, delay=60, after_delivery=n % 3 == 0)


def _send(
    address: tuple[str, int], bodies: list[dict[str, Any]], concurrency: int
) -> list[int]:
    def one(body: dict[str, Any]) -> int:
        sender = SlackSender(address)
        try:
            if body.get("type") == "block_actions":
                return sender.action(body).status
            return sender.event(body).status
        except OSError:
            return 0  # the bot died before answering: Slack will retry

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, bodies))


def _count(fake: FakeSlack, phase: Phase, channels: list[str], acked: set[str]) -> None:
    posts = Counter(c.body.get("channel") for c in fake.delivered("chat.postMessage"))
    phase.answered = sum(1 for c in channels if posts[c] > 0)
    phase.lost = sum(1 for c in acked if posts[c] == 0)
    phase.duplicated = sum(max(0, posts[c] - 1) for c in channels)


def run_phase(
    name: str,
    fake: FakeSlack,
    bot: Bot,
    mentions: int,
    concurrency: int,
    faulty: int,
    im_write: bool = True,
) -> Phase:
    fake.reset()
    fake.im_write = im_write
    phase = Phase(name)
    if name == "reset-dm":  # people's App Home clicks: one DM each
        channels = [f"U0DM{i:05d}" for i in range(mentions)]
        bodies = [_home_click(fake, user) for user in channels]
    else:
        channels = [f"C{name.upper()}{i:05d}" for i in range(mentions)]
        bodies = [envelope(mention(QUESTION, channel=c)) for c in channels]
    _faults(fake, name, faulty)
    phase.sent = len(bodies)
    acked: set[str] = set()
    if name == "kill":
        half = mentions // 2
        first = _send(bot.address, bodies[:half], concurrency)
        acked |= {c for c, s in zip(channels[:half], first, strict=True) if s == 200}
        with ThreadPoolExecutor(1) as late:
            rest = late.submit(_send, bot.address, bodies[half:], concurrency)
            time.sleep(0.05)
            bot.kill()
            statuses = rest.result()
        posted = {c.body.get("channel") for c in fake.delivered("chat.postMessage")}
        acked |= {c for c, s in zip(channels[half:], statuses, strict=True) if s == 200}
        phase.unanswered_at_kill = len(acked - posted)
        fake.heal()  # Slack is well again
        bot.start()
        retry = [b for c, b in zip(channels, bodies, strict=True) if c not in acked]
        for status, body in zip(
            _send_retries(bot.address, retry, concurrency), retry, strict=True
        ):
            if status == 200:
                acked.add(body["event"]["channel"])
    else:
        statuses = _send(bot.address, bodies, concurrency)
        acked = {c for c, s in zip(channels, statuses, strict=True) if s == 200}
    phase.acked = len(acked)
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        _count(fake, phase, channels, acked)
        if phase.lost == 0 and phase.answered >= phase.acked:
            break
        time.sleep(0.5)
    time.sleep(2.0)  # a late duplicate would arrive now
    _count(fake, phase, channels, acked)
    return phase


def _home_click(fake: FakeSlack, user: str) -> dict[str, Any]:
    """`user` clicks Cloud computing in App Home: the entry goes to their DM."""
    payload = block_action(
        "show_entry:skill-cloud", "skill-cloud", fake.response_url(), user=user
    )
    payload["container"] = {"type": "view", "view_id": "V0HOME01"}
    payload.pop("channel")
    payload.pop("response_url")  # Slack sends none from App Home
    return payload


def _send_retries(
    address: tuple[str, int], bodies: list[dict[str, Any]], concurrency: int
) -> list[int]:
    def one(body: dict[str, Any]) -> int:
        sender = SlackSender(address)
        try:
            return sender.event(body, retry=1).status
        except OSError:
            return 0

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, bodies))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--faulty", type=int, default=20, help="failed posts per phase")
    parser.add_argument("--only", choices=PHASES, action="append")
    parser.add_argument(
        "--no-im-write",
        action="store_true",
        help="the fake refuses conversations.open (an app without im:write)",
    )
    args = parser.parse_args(argv)
    fake = FakeSlack().start()
    results: list[Phase] = []
    with tempfile.TemporaryDirectory() as data:
        env = bot_env(
            fake,
            Path(data),
            PORT=str(free_port()),
            STPM_BOT_LOG_LEVEL="WARNING",
            STPM_BOT_OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
        )
        bot = Bot(env, Path(data) / "bot.log")
        bot.start()
        try:
            for name in args.only or PHASES:
                phase = run_phase(
                    name,
                    fake,
                    bot,
                    args.mentions,
                    args.concurrency,
                    args.faulty,
                    im_write=not args.no_im_write,
                )
                results.append(phase)
                print(json.dumps(phase.__dict__), flush=True)
        finally:
            code = bot.terminate()
            fake.stop()
    print(f"bot exited with {code} after SIGTERM")
    lost = sum(p.lost for p in results)
    duplicated = sum(p.duplicated for p in results)
    print(json.dumps({"lost": lost, "duplicated": duplicated, "exit_code": code}))
    return 0 if lost == duplicated == code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
