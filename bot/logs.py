"""structlog set up once: console on a terminal, JSON lines otherwise, on stderr."""

from __future__ import annotations

import logging
import re
import sys
from typing import Literal, TextIO

import structlog

SECRET_PREFIXES = ("xoxb-", "xoxp-", "xapp-", "xoxa-", "xoxe-")
# Response URLs and webhooks are capabilities: whoever has one may post with
# it. Their host stays in the log; the path that grants the post does not.
CAPABILITY_URL = re.compile(
    r"(https?://[^/\s\"'<>|]+)/(?:commands|actions|services|workflows|hooks)/"
    r"[^\s\"'<>|]*"
)


def _redacted(value: object) -> object:
    if isinstance(value, str):
        if any(p in value for p in SECRET_PREFIXES):
            return "[redacted]"
        return CAPABILITY_URL.sub(r"\1/[redacted]", value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redacted(v) for v in value)
    return value


def _redact_tokens(
    _logger: object, _name: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Slack tokens and response URLs never reach a log line, whoever logged
    them, nested or in a traceback (this runs again after the traceback is
    formatted)."""
    for key, value in event_dict.items():
        event_dict[key] = _redacted(value)
    return event_dict


def configure(
    level: str = "INFO",
    fmt: Literal["auto", "console", "json"] = "auto",
    stream: TextIO | None = None,
) -> None:
    """Route structlog and the stdlib loggers (Bolt, slack_sdk) to one chain,
    written to `stream` (stderr unless a test captures it)."""
    stream = stream or sys.stderr
    use_console = stream.isatty() if fmt == "auto" else fmt == "console"
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(colors=True)
        if use_console
        else structlog.processors.JSONRenderer()
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_tokens,
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _redact_tokens,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
