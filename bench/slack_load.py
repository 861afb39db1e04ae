"""Load benchmark (not a test): signed slash commands and mention events at
a fixed concurrency against the app's HTTP server on 127.0.0.1, with the fake
Slack Web API from the tests.

    .venv/bin/python bench/slack_load.py [--commands 1000] [--mentions 1000]
        [--concurrency 20] [--retries 100] [--senders 1]

The app runs in its own process through the real `bot.slack.serve` (HTTP
mode, SQLite store), as deployed; this process runs the fake Web API and the
senders. Prints ack latency p50/p99 (until the HTTP 200 that Slack waits for),
how long the replies took, and replies posted against events sent, with
duplicates, and the latency of `GET /healthz` probed every 20 ms meanwhile.
`--retries` re-delivers that many mention events with X-Slack-Retry-Num: they
must not add replies. The app is stopped with SIGTERM
at the end and must exit cleanly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/slack_load.py`
    sys.path.insert(0, str(ROOT))

from bot import logs  # noqa: E402
from bot.compose import build  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.app import serve  # noqa: E402
from tests.support.fake_slack import FakeSlack  # noqa: E402
from tests.support.harness import (  # noqa: E402
    SIGNING_SECRET,
    SlackSender,
    command,
    envelope,
    http_request,
    mention,
)
from tests.support.process import free_port, wait_healthy  # noqa: E402

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
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
Job = tuple[str, bytes, str, dict[str, str]]


@dataclass(frozen=True)
class Load:
    commands: int = 1000
    mentions: int = 1000
    concurrency: int = 20
    retries: int = 100
    senders: int = 1


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _send_all(
    work: tuple[tuple[str, int], list[Job], int],
) -> list[tuple[str, int, float]]:
    """One sender process: its jobs over `threads` concurrent connections."""
    address, jobs, threads = work
    sender = SlackSender(address)

    def send(job: Job) -> tuple[str, int, float]:
        kind, body, content_type, extra = job
        start = time.perf_counter()
        status = sender.post(body, content_type, extra=extra).status
        return kind, status, (time.perf_counter() - start) * 1000

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(send, jobs))


def _probe_health(
    address: tuple[str, int], done: threading.Event, latencies: list[float]
) -> None:
    """GET /healthz every 20 ms while the load is sent, as a liveness probe."""
    while not done.wait(0.02):
        start = time.perf_counter()
        try:
            http_request(address, "GET", "/healthz")
        except OSError:
            continue
        latencies.append((time.perf_counter() - start) * 1000)


def serve_app() -> None:
    """The app process: the real `bot.slack.serve`, configured by environment."""
    settings = Settings()
    logs.configure(level="WARNING", fmt="json")
    serve(build(settings))


def run(load: Load) -> int:
    """The app in its own process (as deployed); fake Slack and load here."""
    fake = FakeSlack().start()
    address = ("127.0.0.1", free_port())
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
            [sys.executable, "-m", "bench.slack_load", "--serve"], env=env, cwd=ROOT
        )
        try:
            wait_healthy(address, app)
            fake.reset()
            return _measure(fake, address, load, app.pid)
        finally:
            app.send_signal(signal.SIGTERM)
            code = app.wait(timeout=60)
            print(f"app exited with {code} after SIGTERM")
            fake.stop()


def _peak_rss_mb(pid: int) -> float | None:
    """The app process's peak resident memory so far (Linux: VmHWM)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def _measure(
    fake: FakeSlack, address: tuple[str, int], load: Load, app_pid: int
) -> int:
    commands, mentions, retries = load.commands, load.mentions, load.retries
    concurrency = load.concurrency
    jobs: list[Job] = []
    bodies = [
        envelope(mention(QUESTIONS[i % 6], channel=f"C{i:08d}"))
        for i in range(mentions)
    ]
    for i in range(max(commands, mentions)):
        if i < commands:
            name, text = (
                ("/stpm", QUESTIONS[i % 6]) if i % 2 else ("/skill", SKILLS[i % 6])
            )
            fields = command(name, text, fake.response_url(f"cmd-{i}"))
            jobs.append(("command", urlencode(fields).encode(), FORM, {}))
        if i < mentions:
            jobs.append(("mention", json.dumps(bodies[i]).encode(), JSON, {}))
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    for body in bodies[:retries]:
        jobs.append(("retry", json.dumps(body).encode(), JSON, retry))

    # `concurrency` requests in flight in all, over `senders` processes.
    processes = max(1, min(load.senders, concurrency))
    slices = [
        (
            address,
            jobs[i::processes],
            concurrency // processes + (i < concurrency % processes),
        )
        for i in range(processes)
    ]
    started = time.perf_counter()
    health: list[float] = []
    sent = threading.Event()
    prober = threading.Thread(target=_probe_health, args=(address, sent, health))
    prober.start()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = [r for part in pool.map(_send_all, slices) for r in part]
    sending = time.perf_counter() - started
    sent.set()
    prober.join()

    want_posts, want_responses = mentions, commands
    with contextlib.suppress(AssertionError):  # missing replies are reported below
        fake.wait_for(
            lambda _: (
                len(fake.delivered("chat.postMessage")) >= want_posts
                and len(fake.delivered("response_url")) >= want_responses
            ),
            timeout=DEADLINE_SECONDS,
        )
    replying = time.perf_counter() - started
    time.sleep(0.5)  # let any late duplicate arrive before counting
    posts = Counter(c.body["channel"] for c in fake.delivered("chat.postMessage"))
    responses = Counter(c.path for c in fake.delivered("response_url"))

    report: dict[str, object] = {
        "concurrency": concurrency,
        "senders": processes,
        "seconds_sending": round(sending, 2),
        "seconds_until_all_replies": round(replying, 2),
    }
    kinds = {"ack_ms": ("command", "mention"), "command_ack_ms": ("command",)}
    kinds |= {"mention_ack_ms": ("mention",), "retry_ack_ms": ("retry",)}
    for name, kind in kinds.items():
        latencies = [ms for k, _, ms in results if k in kind]
        if len(latencies) < 2:
            continue
        report[name] = {
            "n": len(latencies),
            "p50": round(_percentile(latencies, 50), 2),
            "p99": round(_percentile(latencies, 99), 2),
            "max": round(max(latencies), 2),
            "non_200": sum(1 for k, s, _ in results if k in kind and s != 200),
        }
    if len(health) >= 2:
        report["healthz_during_load_ms"] = {
            "n": len(health),
            "p50": round(_percentile(health, 50), 2),
            "p99": round(_percentile(health, 99), 2),
            "max": round(max(health), 2),
        }
    duplicates = sum(n - 1 for n in [*posts.values(), *responses.values()] if n > 1)
    report["mentions"] = {
        "events_sent": mentions,
        "retries_sent": retries,
        "replies_posted": sum(posts.values()),
    }
    report["commands"] = {"sent": commands, "responses_posted": sum(responses.values())}
    report["duplicates"] = duplicates
    report["app_peak_rss_mb"] = _peak_rss_mb(app_pid)
    print(json.dumps(report, indent=2))
    complete = sum(posts.values()) == mentions and sum(responses.values()) == commands
    return 0 if complete and not duplicates else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--mentions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--retries", type=int, default=100)
    parser.add_argument("--senders", type=int, default=1, help="sender processes")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_app()
        return 0
    return run(
        Load(args.commands, args.mentions, args.concurrency, args.retries, args.senders)
    )


if __name__ == "__main__":
    sys.exit(main())
