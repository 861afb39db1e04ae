"""The program's first lines (`stpm-bot`, `python -m bot`): Ctrl-C while
Python is still loading the bot (half a second of imports) ends it with
130 and no traceback, as it does once `bot.cli.main` runs."""

from __future__ import annotations

import signal
from types import FrameType
from typing import NoReturn


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def run() -> NoReturn:
    """Load the program with Ctrl-C ending it quietly, then run it with
    Ctrl-C as Python delivers it (`main.safely` turns it into 130). Ctrl-C
    ignored (a background job) or handled by whoever started us stays so."""
    ours = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if ours:
        signal.signal(signal.SIGINT, _stop)
    from bot.cli.main import run as program  # after the handler is in place

    if ours:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    program()
