"""How every feature hooks into Bolt: ack at once, work afterwards.

The app runs with `process_before_response=True`, so each listener's ack
function runs on the request's own thread and Slack gets its 200 without
waiting for Bolt's executor; the work runs there as a lazy listener. Bolt only
logs a lazy listener's exceptions, so `later` hands them to the app's one
error handler.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.errors import on_error

Work = Callable[..., None]


def acknowledge(ack: Ack) -> None:
    ack()


def later(work: Work) -> Work:
    """`work` (which takes `body` and `context`) with its errors reported."""

    @functools.wraps(work)
    def run(**kwargs: Any) -> None:
        try:
            work(**kwargs)
        except Exception as error:
            context: BoltContext = kwargs["context"]
            on_error(error, kwargs["body"], context.client, context.respond)

    return run


def listen(register: Callable[..., Any], work: Work) -> None:
    """`register` is e.g. `app.event("app_mention")`."""
    register(ack=acknowledge, lazy=[later(work)])
