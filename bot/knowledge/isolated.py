"""Checking the knowledge in a child process, so a reload of a large
knowledge never parses it inside the process that serves Slack.

Parsing and validating tens of thousands of entries takes seconds of CPU and
hundreds of megabytes of intermediate YAML nodes; in the serving process that
holds the interpreter's lock away from the acks and leaves the memory behind.
The child is a fresh interpreter (`python -P -m bot.knowledge.isolated DIR
DATE`, not a fork: none of the bot's threads, locks or sockets) with an
environment stripped of every credential; it prints the checked knowledge and
its problems, pickled, on its standard output, and the parent swaps them in
only once they are whole.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import subprocess
import sys
from pathlib import Path

import structlog

from bot.knowledge import loading
from bot.knowledge.loading import Problem
from bot.knowledge.models import Knowledge
from bot.settings import worker_environment

CHILD_TIMEOUT = 300.0  # seconds; 50,000 entries take about ten
# Entries per pickle: unpickling holds the interpreter's lock, so the answer
# comes in pieces short enough (a few ms each) for the acks to run between.
CHUNK = 1_000
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]

Checked = tuple[Knowledge, list[Problem]]


def _refused(directory: Path, why: str) -> Checked:
    return Knowledge.of([]), [Problem(str(directory), why)]


def check(
    directory: Path,
    today: dt.date,
    *,
    interpreter: str = sys.executable,
    timeout: float = CHILD_TIMEOUT,
) -> Checked:
    """`loading.check(directory, today)`, done by a child process running
    `interpreter`. A child that fails or takes over `timeout` seconds is a
    problem (the reload is refused); one that can't be started at all is
    done here instead, with a warning."""
    env = worker_environment(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")])
    )
    command = [interpreter, "-P", "-m", "bot.knowledge.isolated"]
    try:
        done = subprocess.run(
            [*command, str(directory), today.isoformat()],
            capture_output=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _refused(directory, f"checking took over {timeout:g} s; not served")
    except OSError as error:
        structlog.get_logger().warning("knowledge.check_in_process", error=str(error))
        return loading.check(directory, today)
    if done.returncode != 0:
        last = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        return _refused(directory, f"the check failed: {' '.join(last)[:200]}")
    try:
        chunks, tips, synonyms, problems = pickle.loads(done.stdout)
        entries = [entry for chunk in chunks for entry in pickle.loads(chunk)]
    except Exception as error:  # a cut-off or garbled answer
        return _refused(directory, f"the check's answer is unreadable: {error}")
    return Knowledge.of(entries, tips, synonyms), list(problems)


def _serve(directory: str, today: str) -> None:
    """The child's life: check the directory, print the result pickled."""
    import gc

    gc.disable()  # millions of small objects, none freed: passes are waste
    knowledge, problems = loading.check(Path(directory), dt.date.fromisoformat(today))
    entries = knowledge.entries
    chunks = [
        pickle.dumps(entries[i : i + CHUNK], pickle.HIGHEST_PROTOCOL)
        for i in range(0, len(entries), CHUNK)
    ]
    answer = (chunks, knowledge.tips, knowledge.synonyms, problems)
    sys.stdout.buffer.write(pickle.dumps(answer, pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2])
