"""`stpm-bot run` in its own process, in HTTP mode against the fake Slack."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.fake_slack import FakeSlack
from tests.support.harness import SIGNING_SECRET, SlackSender, http_request

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-1111-2222-secretbottoken9f3a"
APP_TOKEN = "xapp-1-A111-3333-secretapptoken7c1e"


def bot_env(fake: FakeSlack, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an HTTP-mode bot: JSON logs at DEBUG, SQLite in `data_dir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STPM_BOT_")}
    env |= {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_BASE_URL": fake.api_url,
        "SLACK_APP_TOKEN": "",
        "STPM_BOT_HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "STPM_BOT_DATA_DIR": str(data_dir),
        "STPM_BOT_LOG_LEVEL": "DEBUG",
        "STPM_BOT_LOG_FORMAT": "json",
        "STPM_BOT_TIPS_CHECK_INTERVAL": "0",
    }
    return env | extra


def run_bot(
    env: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """`stpm-bot run` that is expected to exit by itself (a start-up failure)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Bot:
    """A running `stpm-bot run`; its stderr goes to `log`."""

    process: subprocess.Popen[bytes]
    address: tuple[str, int]
    log: Path

    @classmethod
    def start(cls, env: dict[str, str], log: Path) -> Bot:
        address = (env["STPM_BOT_HOST"], int(env["PORT"]))
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stderr=stderr,
            )
        bot = cls(process, address, log)
        try:
            wait_healthy(address, process)
        except RuntimeError:
            bot.kill()
            raise AssertionError(f"the bot did not start:\n{bot.output()}") from None
        return bot

    @property
    def send(self) -> SlackSender:
        return SlackSender(self.address)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit code once it has finished what was in flight."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(address: tuple[str, int], app: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and app.poll() is None:
        try:
            if 200 == http_request(address, "GET", "/healthz").status:
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the app did not become healthy")
