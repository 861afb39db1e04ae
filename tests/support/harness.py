"""Requests as Slack sends them: signed bodies with payloads shaped as in
Slack's documentation (Events API envelopes, slash command forms,
block_actions payloads)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.support.fake_slack import BOT_USER_ID, TEAM_ID

SIGNING_SECRET = "test-signing-secret"
USER = "U0USER01"
_ids = itertools.count(1)


def sign(
    body: bytes, secret: str = SIGNING_SECRET, ts: int | None = None
) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    timestamp = str(int(time.time()) if ts is None else ts)
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(
    address: tuple[str, int],
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> Response:
    conn = http.client.HTTPConnection(*address, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Response(
            resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
        )
    finally:
        conn.close()


def ts() -> str:
    return f"{int(time.time())}.{next(_ids):06d}"


def envelope(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """The Events API `event_callback` wrapper around `event`."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0APP001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
    }


def mention(
    text: str, channel: str = "C0CHAN01", thread_ts: str | None = None
) -> dict[str, Any]:
    message_ts = ts()
    event: dict[str, Any] = {
        "type": "app_mention",
        "client_msg_id": f"msg-{message_ts}",
        "user": USER,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": message_ts,
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": message_ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(
    text: str,
    channel: str = "D0DM0001",
    channel_type: str = "im",
    thread_ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    message_ts = ts()
    event: dict[str, Any] = {
        "type": "message",
        "client_msg_id": f"msg-{message_ts}",
        "user": USER,
        "text": text,
        "ts": message_ts,
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": message_ts,
        "channel_type": channel_type,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(extra)
    return event


def assistant_thread(
    kind: str = "assistant_thread_started",
    channel: str = "D0DM0001",
    thread_ts: str | None = None,
    viewing: str = "C0CHAN01",
    user: str = USER,
) -> dict[str, Any]:
    """`assistant_thread_started` (or `_context_changed`): someone opened a
    thread in the side panel (or moved to `viewing`, the panel open)."""
    return {
        "type": kind,
        "assistant_thread": {
            "user_id": user,
            "context": {
                "channel_id": viewing,
                "team_id": TEAM_ID,
                "enterprise_id": None,
            },
            "channel_id": channel,
            "thread_ts": thread_ts or ts(),
        },
        "event_ts": ts(),
    }


def panel_message(text: str, thread: dict[str, Any]) -> dict[str, Any]:
    """A person's message in the side-panel thread `thread` (an
    `assistant_thread_started` event): a DM in that thread."""
    opened = thread["assistant_thread"]
    return message(
        text,
        channel=opened["channel_id"],
        thread_ts=opened["thread_ts"],
        parent_user_id=opened["user_id"],
    )


def command(name: str, text: str, response_url: str) -> dict[str, str]:
    """A slash command's form fields."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "example",
        "channel_id": "C0CHAN01",
        "channel_name": "general",
        "user_id": USER,
        "user_name": "pat",
        "command": name,
        "text": text,
        "api_app_id": "A0APP001",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{next(_ids)}.1.abc",
    }


def block_action(
    action_id: str,
    value: str,
    response_url: str,
    *,
    channel: str = "C0CHAN01",
    message_ts: str = "1700000000.000001",
    thread_ts: str | None = "1699999999.000001",
    ephemeral: bool = False,
    user: str = USER,
) -> dict[str, Any]:
    """A `block_actions` payload for a button click in a message."""
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
        "is_ephemeral": ephemeral,
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": "pat", "name": "pat", "team_id": TEAM_ID},
        "api_app_id": "A0APP001",
        "token": "legacy-verification-token",
        "container": container,
        "trigger_id": f"{next(_ids)}.1.abc",
        "team": {"id": TEAM_ID, "domain": "example"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "general"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "button", "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": ts(),
            }
        ],
    }
    if not ephemeral:
        msg: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": "BBOT0001",
            "ts": message_ts,
            "text": "an answer",
        }
        if thread_ts:
            msg["thread_ts"] = thread_ts
            container["thread_ts"] = thread_ts
        payload["message"] = msg
    return payload


class SlackSender:
    """Sends signed requests to the app's HTTP server."""

    def __init__(self, address: tuple[str, int], secret: str = SIGNING_SECRET) -> None:
        self.address = address
        self.secret = secret

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        extra: dict[str, str] | None = None,
        signed: bool = True,
        ts: int | None = None,
    ) -> Response:
        headers = {"Content-Type": content_type, **(extra or {})}
        if signed:
            headers |= sign(body, self.secret, ts)
        return http_request(self.address, "POST", "/slack/events", body, headers)

    def event(self, body: dict[str, Any], retry: int | None = None) -> Response:
        extra = {}
        if retry:
            extra = {
                "X-Slack-Retry-Num": str(retry),
                "X-Slack-Retry-Reason": "http_timeout",
            }
        return self.post(json.dumps(body).encode(), "application/json", extra=extra)

    def command(self, fields: dict[str, str]) -> Response:
        return self.post(
            urlencode(fields).encode(), "application/x-www-form-urlencoded"
        )

    def action(self, payload: dict[str, Any]) -> Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded")


def feedback_click(
    value: str,
    response_url: str,
    *,
    channel: str = "D0DM0001",
    message_ts: str = "1700000000.000002",
    thread_ts: str = "1700000000.000001",
    positive: bool = True,
) -> dict[str, Any]:
    """A `block_actions` payload for a click on native feedback buttons
    (`feedback_buttons` in a `context_actions` block): `value` is the
    clicked button's."""
    payload = block_action(
        "feedback_buttons",
        value,
        response_url,
        channel=channel,
        message_ts=message_ts,
        thread_ts=thread_ts,
    )
    payload["actions"] = [
        {
            "type": "feedback_buttons",
            "action_id": "feedback_buttons",
            "block_id": "feedback:x",
            "value": value,
            "text": {"type": "plain_text", "text": "👍" if positive else "👎"},
            "action_ts": ts(),
        }
    ]
    return payload
