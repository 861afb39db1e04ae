"""structlog set up once: console on a terminal, JSON lines otherwise, on stderr."""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

SECRET_PREFIXES = ("xoxb-", "xoxp-", "xapp-", "xoxa-", "xoxe-")


def _redact_tokens(
    _logger: object, _name: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Slack tokens never reach a log line, whoever logged them."""
    for key, value in event_dict.items():
        if isinstance(value, str) and any(p in value for p in SECRET_PREFIXES):
            event_dict[key] = "[redacted]"
    return event_dict


def configure(
    level: str = "INFO", fmt: Literal["auto", "console", "json"] = "auto"
) -> None:
    """Route structlog and the stdlib loggers (Bolt, slack_sdk) to one stderr chain."""
    use_console = sys.stderr.isatty() if fmt == "auto" else fmt == "console"
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
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
