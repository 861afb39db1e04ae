"""`stpm-bot` run as a user runs it: a real process with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.support.paths import KNOWLEDGE_DIR, ROOT

# Limits the size of the files it writes, then becomes `python -m bot ARGS`.
_LIMITED = (
    "import os, resource, sys\n"
    "size = int(sys.argv[1])\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'bot', *sys.argv[2:]])\n"
)

# The keys of the object `stpm-bot ask --json` prints.
ASK_JSON_KEYS = frozenset(
    {"question", "outcome", "general_only", "answers", "suggestions", "parts"}
)


def clean_env(
    cwd: Path, knowledge_dir: Path = KNOWLEDGE_DIR, **more: str
) -> dict[str, str]:
    """This process's environment without the bot's and Slack's settings,
    with the project importable and the store and knowledge set for a run
    in `cwd`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STPM_BOT_", "SLACK_")) and k != "PORT"
    }
    return clean | {
        "PYTHONPATH": str(ROOT),
        "STPM_BOT_KNOWLEDGE_DIR": str(knowledge_dir),
        "STPM_BOT_DATA_DIR": str(cwd / "data"),
        **more,
    }


def cli(
    cwd: Path,
    *args: str,
    stdin: bytes = b"",
    knowledge_dir: Path = KNOWLEDGE_DIR,
    env: Mapping[str, str] | None = None,
    file_bytes: int | None = None,
    **more: str,
) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in `cwd` (no .env there), with a clean environment;
    `file_bytes`: no file the process writes may grow past this (the
    kernel refuses the write, as on a full disk)."""
    clean = clean_env(
        cwd, knowledge_dir, STPM_BOT_LOG_FORMAT="json", **(env or {}), **more
    )
    command = [sys.executable, "-m", "bot", *args]
    if file_bytes is not None:
        command = [sys.executable, "-c", _LIMITED, str(file_bytes), *args]
    done = subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=clean,
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr[-3000:]
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8"),
        done.stderr.decode("utf-8"),
    )
