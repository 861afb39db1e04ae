"""Replies that are posted once: look before posting again.

A `chat.postMessage` that fails with a reset connection, a timeout or a
Slack 5xx may have been posted all the same. So an answer is tagged with its
request's key in the message's metadata, posted by a client that retries only
what surely never reached Slack (`never_sent`, rate limits), and after
an unclear failure the bot looks in the conversation for a message carrying
that tag before it posts again. A request resumed from the outbox looks
before its first post too: its first process may have posted and died.

A post to a person's user id lands in the app's DM with them; to look there
the bot opens that DM (`conversations.open`, which needs `im:write`). When it
can't, the look fails and the post is not repeated: never twice wins over
maybe once.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.metrics import Metrics
from bot.slack.client import Meter, like, never_sent, retry_handlers
from bot.slack.outbox import check_fence

REPLY_EVENT = "stpm_bot_reply"
# Slack's own words for "something failed, the message may exist".
UNCLEAR_ERRORS = frozenset({"fatal_error", "internal_error"})
# Slack's words for "nothing was done, and it may work later".
RETRY_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "service_unavailable", "request_timeout"}
)
ATTEMPTS = 3
BACKOFF_SECONDS = (0.5, 1.0)  # before each look-and-retry
LOOK_LIMIT = 200  # messages per page looked at, since the question
LOOK_PAGES = 10


class UnknownIfPosted(Exception):
    """A post failed unclearly and looking for it failed too: posting again
    could post twice, so the bot doesn't."""


def unclear(error: Exception) -> bool:
    """Whether Slack may have acted although the call failed."""
    if isinstance(error, SlackApiError):
        code = error.response.get("error")
        return code in UNCLEAR_ERRORS or int(error.response.status_code) >= 500
    # Resets and timeouts waiting for the answer may come after Slack acted;
    # a refused connection, a connect that timed out or an unknown host
    # never reached it.
    return isinstance(error, OSError) and not never_sent(error)


def once_client(client: WebClient) -> WebClient:
    """`client` with the at-most-once retry policy, counted by the same meter."""
    meters = [h for h in client.retry_handlers if isinstance(h, Meter)]
    metrics = meters[0].metrics if meters else Metrics()
    return like(client, retry_handlers=retry_handlers(metrics, at_most_once=True))


def conversation_of(client: WebClient, channel: str) -> str:
    """Where a post to `channel` lands: for a user id, the app's DM with that
    person (opened, or found open, by `conversations.open`); else `channel`.
    Raises what Slack raises (`missing_scope` without `im:write`)."""
    if not channel.startswith(("U", "W")):
        return channel
    response = client.conversations_open(users=channel)
    return str((response.get("channel") or {})["id"])


def _tagged(message: dict[str, Any], key: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(metadata.get("event_type") == REPLY_EVENT and payload.get("key") == key)


def find_reply(
    client: WebClient, channel: str, thread_ts: str | None, key: str, since: str | None
) -> dict[str, Any] | None:
    """The bot's message tagged `key` in the thread (or, unthreaded, the
    channel), posted since `since`, or None. Pages through up to LOOK_PAGES
    pages of LOOK_LIMIT messages; raises what Slack raises."""
    cursor: str | None = None
    for _ in range(LOOK_PAGES):
        arguments: dict[str, Any] = {
            "channel": channel,
            "oldest": since or "0",
            "include_all_metadata": True,
            "limit": LOOK_LIMIT,
        }
        if cursor:
            arguments["cursor"] = cursor
        if thread_ts:
            response = client.conversations_replies(ts=thread_ts, **arguments)
        else:
            response = client.conversations_history(**arguments)
        for message in response.get("messages") or []:
            if _tagged(message, key):
                return dict(message)
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    raise UnknownIfPosted(f"more than {LOOK_PAGES * LOOK_LIMIT} messages to look at")


def post_reply(
    client: WebClient,
    key: str,
    *,
    channel: str,
    thread_ts: str | None,
    since: str | None = None,
    look_first: bool = False,
    fenced: bool = False,
    **message: Any,
) -> SlackResponse | dict[str, Any] | None:
    """Post `message` once. Returns Slack's answer, the message found already
    posted, or None when `look_first` found it; raises UnknownIfPosted (and
    whatever a clear failure raises) when it can't be sure. `fenced`: the
    request's replay by another process goes on past this one's claims and
    looks first, so each attempt may ask whether the request is still this
    process's (`check_fence`, which raises TakenOver when it isn't)."""
    once = once_client(client)
    log = structlog.get_logger()
    if look_first and look_for_reply(once, channel, thread_ts, key, since):
        log.info("slack.already_posted", key=key)
        return None
    metadata = tag(key)
    for attempt in range(ATTEMPTS):
        if fenced:
            check_fence()  # the request still this process's to answer
        try:
            return once.chat_postMessage(
                channel=channel, thread_ts=thread_ts, metadata=metadata, **message
            )
        except (SlackApiError, OSError) as error:
            if not unclear(error) or attempt == ATTEMPTS - 1:
                raise
            log.warning("slack.post_unclear", error=type(error).__name__, key=key)
            time.sleep(BACKOFF_SECONDS[attempt])
            found = look_for_reply(once, channel, thread_ts, key, since)
            if found is not None:
                log.info("slack.already_posted", key=key)
                return found
    raise AssertionError("unreachable")  # the loop returns or raises


def tag(key: str) -> dict[str, Any]:
    """The metadata that marks a message as the reply with `key` (for a
    `chat.postMessage` or a `response_url` post alike)."""
    return {"event_type": REPLY_EVENT, "event_payload": {"key": key}}


def look_for_reply(
    client: WebClient, channel: str, thread_ts: str | None, key: str, since: str | None
) -> dict[str, Any] | None:
    """`find_reply` where a post to `channel` lands; raises UnknownIfPosted
    when Slack doesn't let the bot look (not in the channel, a scope
    missing) or doesn't answer."""
    try:
        return find_reply(
            client, conversation_of(client, channel), thread_ts, key, since
        )
    except (SlackApiError, OSError, KeyError) as error:
        raise UnknownIfPosted(f"could not look for {key}: {error}") from error
