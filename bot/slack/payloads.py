"""Interactive payloads checked for the shape Bolt relies on, before Bolt
reads them.

Bolt reads every payload into the arguments of each listener and middleware
(`action`, `view`, ...) before any of them runs: a click whose `actions` is
empty or holds something other than an object, or a submitted view without a
`type`, raises inside Bolt and would be answered 500 with a traceback in the
log. Slack never sends such a payload; a request that is signed and still
malformed is answered 400 with one log line saying what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

log = structlog.get_logger()

_VIEWS = frozenset({"view_submission", "view_closed"})


def malformed(body: Any) -> str:
    """What is wrong with an interactive payload's shape ("" when nothing
    is): who clicked, what was clicked, which view was submitted."""
    if not isinstance(body, dict):
        return ""
    kind = body.get("type")
    if kind not in _VIEWS and kind != "block_actions":
        return ""
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return f"{kind} without a user id"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "block_actions without actions"
        if not all(
            isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions
        ):
            return "block_actions with an action that has no action_id"
        return ""
    view = body.get("view")
    if not isinstance(view, dict) or not isinstance(view.get("type"), str):
        return f"{kind} without a view type"
    return ""


class WellFormed(Middleware):
    """Answers a malformed interactive payload 400 before Bolt reads it (it
    runs after the signature is checked)."""

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse | None:
        problem = malformed(req.body)
        if problem:
            log.warning("slack.malformed", problem=problem)
            return BoltResponse(status=400, body=problem)
        return next()
