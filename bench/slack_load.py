"""Load benchmark (not a test): signed slash commands and mention events at
a fixed concurrency against the app's HTTP server on 127.0.0.1, with the fake
Slack Web API from the tests.

    .venv/bin/python -m bench.slack_load [--commands 1000] [--mentions 1000]
        [--concurrency 20] [--retries 100]

Prints ack latency p50/p99 (time until Slack would get its HTTP 200) and
replies posted against events sent, with duplicates. `--retries` re-delivers
that many mention events with X-Slack-Retry-Num: they must not add replies.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot import logs
from bot.app import build
from bot.settings import Settings
from bot.slack import serve
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import (
    SIGNING_SECRET,
    SlackSender,
    command,
    envelope,
    http_request,
    mention,
)

QUESTIONS = (
    "what does a senior tpm do?",
    "how important is cybersecurity for an stpm",
    "how do stpms stay current with new technology?",
    "what skills does a senior technical program manager need",
    "what is the wifi password",
    "help",
)
SKILLS = ("cloud", "AI/ML", "infra", "cyber security", "data", "")
DEADLINE_SECONDS = 120


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _timed(send: Callable[[], int]) -> tuple[int, float]:
    start = time.perf_counter()
    status = send()
    return status, (time.perf_counter() - start) * 1000


def serve_app() -> None:
    """The app process: the real `bot.slack.serve`, configured by environment."""
    settings = Settings()
    logs.configure(level="WARNING", fmt="json")
    import bot.slack

    if os.environ.get("X_THREADS"):
        bot.slack.LISTENER_THREADS = int(os.environ["X_THREADS"])
    if os.environ.get("X_SWITCH"):
        sys.setswitchinterval(float(os.environ["X_SWITCH"]))
    serve(build(settings))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(address: tuple[str, int], app: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and app.poll() is None:
        try:
            if 200 == http_request(address, "GET", "/healthz").status:
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the app did not become healthy")


def run(commands: int, mentions: int, concurrency: int, retries: int) -> int:
    """The app in its own process (as deployed); fake Slack and load here."""
    fake = FakeSlack().start()
    address = ("127.0.0.1", _free_port())
    with tempfile.TemporaryDirectory() as data:
        env = os.environ | {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_BASE_URL": fake.api_url,
            "STPM_BOT_HOST": address[0],
            "PORT": str(address[1]),
            "STPM_BOT_DATA_DIR": data,
        }
        env.pop("SLACK_APP_TOKEN", None)
        env.pop("STPM_BOT_DATABASE_URL", None)
        app = subprocess.Popen(
            (
                [sys.executable, "/tmp/serve_timed.py"]
                if os.environ.get("X_TIMED")
                else [sys.executable, "-m", "bench.slack_load", "--serve"]
            ),
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
        )
        try:
            _wait_healthy(address, app)
            fake.reset()
            return _measure(
                fake, SlackSender(address), commands, mentions, concurrency, retries
            )
        finally:
            app.send_signal(signal.SIGTERM)
            code = app.wait(timeout=60)
            print(f"app exited with {code} after SIGTERM")
            fake.stop()


def _measure(
    fake: FakeSlack,
    sender: SlackSender,
    commands: int,
    mentions: int,
    concurrency: int,
    retries: int,
) -> int:
    jobs: list[tuple[str, Callable[[], int]]] = []
    for i in range(commands):
        name, text = ("/stpm", QUESTIONS[i % 6]) if i % 2 else ("/skill", SKILLS[i % 6])
        fields = command(name, text, fake.response_url(f"cmd-{i}"))
        jobs.append(("command", lambda f=fields: sender.command(f).status))
    bodies = [
        envelope(mention(QUESTIONS[i % 6], channel=f"C{i:08d}"))
        for i in range(mentions)
    ]
    for body in bodies:
        jobs.append(("mention", lambda b=body: sender.event(b).status))
    for body in bodies[:retries]:
        jobs.append(("retry", lambda b=body: sender.event(b, retry=1).status))

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda job: (job[0], *_timed(job[1])), jobs))
    sending = time.perf_counter() - started

    want_posts, want_responses = mentions, commands
    try:
        fake.wait_for(
            lambda _: (
                len(fake.delivered("chat.postMessage")) >= want_posts
                and len(fake.delivered("response_url")) >= want_responses
            ),
            timeout=DEADLINE_SECONDS,
        )
    except AssertionError:
        pass  # reported as missing below
    time.sleep(0.5)  # let any late duplicate arrive before counting
    posts = Counter(c.body["channel"] for c in fake.delivered("chat.postMessage"))
    responses = Counter(c.path for c in fake.delivered("response_url"))

    report = {"concurrency": concurrency, "seconds_sending": round(sending, 2)}
    for kind in ("command", "mention", "retry"):
        latencies = [ms for k, _, ms in results if k == kind]
        if len(latencies) < 2:
            continue
        report[f"{kind}_ack_ms"] = {
            "n": len(latencies),
            "p50": round(_percentile(latencies, 50), 2),
            "p99": round(_percentile(latencies, 99), 2),
            "max": round(max(latencies), 2),
            "non_200": sum(1 for k, s, _ in results if k == kind and s != 200),
        }
    report["mentions"] = {
        "events_sent": mentions,
        "retries_sent": retries,
        "replies_posted": sum(posts.values()),
        "duplicates": sum(n - 1 for n in posts.values() if n > 1),
    }
    report["commands"] = {
        "sent": commands,
        "responses_posted": sum(responses.values()),
        "duplicates": sum(n - 1 for n in responses.values() if n > 1),
    }
    print(json.dumps(report, indent=2))
    ok = (
        report["mentions"]["replies_posted"] == mentions
        and report["commands"]["responses_posted"] == commands
        and report["mentions"]["duplicates"] == report["commands"]["duplicates"] == 0
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--mentions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--retries", type=int, default=100)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_app()
        return 0
    return run(args.commands, args.mentions, args.concurrency, args.retries)


if __name__ == "__main__":
    sys.exit(main())
