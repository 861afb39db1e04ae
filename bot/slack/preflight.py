"""Before serving or posting: is Slack there, and does it take the tokens?

One call each (`auth.test` for the bot token, `apps.connections.open` for a
Socket Mode app token), so a wrong token or an unreachable Slack is one line
for the operator naming the variable, not a crash deep inside Bolt.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
from collections.abc import Iterator
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.client import web_client

# What Slack answers for a token that is wrong, revoked or of the wrong kind.
REFUSED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
        "missing_scope",
    }
)


class SlackUnusable(Exception):
    """Slack can't be used with these settings; `str()` is the one line."""


def _reason(error: BaseException) -> str:
    cause = getattr(error, "reason", error)  # urllib wraps it in URLError
    if isinstance(cause, socket.gaierror):
        return "the host name does not resolve"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, TimeoutError | socket.timeout):
        return "no answer in time"
    return str(cause) or type(cause).__name__


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """slack_sdk logs each failed attempt as an error of its own; the one
    line this check prints says it all."""
    sdk = logging.getLogger("slack_sdk")
    level = sdk.level
    sdk.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        sdk.setLevel(level)


def _call(client: WebClient, method: str, variable: str, base_url: str) -> None:
    try:
        with _quiet():
            client.api_call(method)
    except SlackApiError as error:
        code = str(error.response.get("error") or error.response.status_code)
        if code in REFUSED:
            raise SlackUnusable(
                f"Slack refused {variable} ({code}): check the token in the app's "
                "settings (OAuth & Permissions, or Basic Information for the app "
                "token). See README 'Slack app'."
            ) from None
        raise SlackUnusable(
            f"Slack answered {method} at {base_url} with {code}; try again later"
        ) from None
    except (URLError, OSError, http.client.HTTPException) as error:
        raise SlackUnusable(
            f"cannot reach Slack at {base_url} ({_reason(error)}): check "
            "SLACK_API_BASE_URL and the network"
        ) from None


def check(settings: Settings, metrics: Metrics | None = None) -> None:
    """Raise `SlackUnusable` unless Slack answers and takes every token set."""
    base_url = settings.slack_api_base_url
    if settings.slack_bot_token is not None:
        client = web_client(settings, metrics)
        _call(client, "auth.test", "SLACK_BOT_TOKEN", base_url)
    if settings.slack_app_token:
        app_client = web_client(settings, metrics)
        app_client.token = settings.slack_app_token.get_secret_value()
        _call(app_client, "apps.connections.open", "SLACK_APP_TOKEN", base_url)
