"""Logs: one JSON object per line, and Slack tokens never in them."""

from __future__ import annotations

import io
import json

import structlog

from bot import logs

TOKEN = "xoxb-123456789-SECRET"


def test_tokens_are_redacted_nested_and_in_tracebacks() -> None:
    """A token in a value, a nested dict or an exception message is replaced."""
    stream = io.StringIO()
    logs.configure("INFO", "json", stream=stream)
    log = structlog.get_logger()
    log.info("plain", token=TOKEN, nested={"headers": [f"Bearer {TOKEN}"]})
    try:
        raise RuntimeError(f"auth failed for {TOKEN}")
    except RuntimeError:
        log.exception("failed")
    logs.configure()
    out = stream.getvalue()
    assert TOKEN not in out
    lines = [json.loads(line) for line in out.splitlines()]
    assert ["plain", "failed"] == [line["event"] for line in lines]
    assert "[redacted]" == lines[0]["token"]
