"""The one place errors are handled: log them, tell the user politely."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
from slack_bolt import App, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import blocks
from bot.slack.outbox import NotAccepted
from bot.slack.posting import UnknownIfPosted
from bot.slack.respond import ResponseUrlError

if TYPE_CHECKING:
    from bot.slack.deps import Deps


UNSURE = (
    "Slack didn't confirm that my answer was posted. If you don't see it "
    "here, please ask again in a minute."
)


def _code(error: Exception) -> str | None:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error"))
    return None


def on_error(
    error: Exception,
    body: dict[str, Any],
    client: WebClient | None,
    respond: Respond | None,
) -> None:
    """Log with the Slack error code; answer the user without a traceback."""
    log = structlog.get_logger()
    if _code(error) == "expired_trigger_id":
        # A dialog asked for too late (a click taken up again from the
        # outbox after a restart): the person has moved on; no apology.
        log.warning("slack.too_late_for_a_dialog", request_type=body.get("type"))
        return
    log.error(
        "slack.error",
        error=type(error).__name__,
        slack_error=_code(error),
        request_type=body.get("type"),
        exc_info=not isinstance(error, SlackApiError | UnknownIfPosted),
    )
    # Slack may have posted the answer (its reply was lost, and the look for
    # it failed too): asking again might show it twice; say what to look for.
    said = UNSURE if isinstance(error, UnknownIfPosted) else blocks.SORRY
    try:
        if respond is not None and respond.response_url:
            respond(response_type="ephemeral", replace_original=False, text=said)
            return
        event = body.get("event") or {}
        # Only to someone who spoke to the bot (a mention, a DM), never to a
        # person talking to others in a thread; in their thread only if there
        # is one (Slack hides an ephemeral note aimed at a thread that isn't).
        addressed = event.get("type") == "app_mention" or (
            event.get("channel_type") == "im"
        )
        if (
            client is not None
            and addressed
            and event.get("channel")
            and event.get("user")
        ):
            client.chat_postEphemeral(
                channel=event["channel"],
                user=event["user"],
                thread_ts=event.get("thread_ts"),
                text=said,
            )
    except (SlackApiError, OSError, ResponseUrlError) as reply_error:
        # e.g. not_in_channel: nowhere left to apologise, the log has it.
        log.warning("slack.error_reply_failed", error=_code(reply_error))


def handle(
    error: Exception,
    body: dict[str, Any],
    client: WebClient | None,
    respond: Respond | None,
) -> BoltResponse | None:
    """Bolt's error handler: a request the outbox didn't accept gets a 503
    (Slack retries it), everything else `on_error`."""
    if isinstance(error, NotAccepted):
        structlog.get_logger().warning("slack.not_accepted", reason=error.reason)
        return BoltResponse(status=503, body='{"error":"busy, retry later"}')
    on_error(error, body, client, respond)
    return None


def register(app: App, deps: Deps) -> None:
    del deps  # the handler needs only what Bolt passes
    app.error(handle)
