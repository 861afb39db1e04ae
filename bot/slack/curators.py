"""Who may teach the bot: members of STPM_BOT_CURATORS_CHANNEL, or of the
user group STPM_BOT_CURATORS_USERGROUP, asked of Slack at each click
(`conversations.members`, `usergroups.users.list`), so a curator who left
the channel can't teach any more."""

from __future__ import annotations

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.slack.posting import RETRY_ERRORS, UNCLEAR_ERRORS

MAX_PAGES = 50  # 50 pages of 1,000 members: beyond any curators' channel


def _in_channel(client: WebClient, channel: str, user: str) -> bool:
    cursor = ""
    for _ in range(MAX_PAGES):
        page = client.conversations_members(channel=channel, cursor=cursor, limit=1000)
        if user in (page.get("members") or []):
            return True
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            return False
    return False


def _in_group(client: WebClient, usergroup: str, user: str) -> bool:
    found = client.usergroups_users_list(usergroup=usergroup)
    return user in (found.get("users") or [])


# Slack's answers that say nothing about membership: busy or failing now.
UNAVAILABLE = UNCLEAR_ERRORS | RETRY_ERRORS


class CannotTell(Exception):
    """Slack couldn't say just now whether someone is a curator (rate limited,
    a 5xx, out of reach): neither yes nor no, so ask them to try again."""


def _unavailable(error: SlackApiError) -> bool:
    status = getattr(error.response, "status_code", 200)
    return status == 429 or status >= 500 or error.response.get("error") in UNAVAILABLE


def is_curator(client: WebClient, settings: Settings, user: str) -> bool:
    """Whether `user` is a curator now; a lookup Slack refuses (a missing
    scope, a channel the bot left) counts as no, and is logged. Raises
    `CannotTell` when no check said yes and one couldn't answer (a 429, a
    5xx, a timeout or a lost connection): a curator is never told they
    aren't one because Slack was busy or away."""
    checks = (
        (settings.curators_channel, _in_channel),
        (settings.curators_usergroup, _in_group),
    )
    unknown = False
    for where, member in checks:
        if not where:
            continue
        try:
            if member(client, where, user):
                return True
        except SlackApiError as error:
            structlog.get_logger().warning(
                "curators.lookup_failed",
                where=where,
                slack_error=error.response.get("error"),
            )
            unknown = unknown or _unavailable(error)
        except OSError as error:  # a timeout, a dropped connection
            structlog.get_logger().warning(
                "curators.lookup_failed", where=where, error=type(error).__name__
            )
            unknown = True
    if unknown:
        raise CannotTell(user)
    return False


def who(settings: Settings) -> str:
    """Who the curators are, for the note a non-curator gets."""
    parts = []
    if settings.curators_channel:
        parts.append(f"members of <#{settings.curators_channel}>")
    if settings.curators_usergroup:
        parts.append("members of the curators' user group")
    return " or ".join(parts) or "nobody yet (no curators are configured)"
