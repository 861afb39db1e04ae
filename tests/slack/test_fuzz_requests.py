"""Fuzzing the HTTP endpoint: random bodies, payloads and headers, signed or
not, never get a 5xx, and the server stays healthy."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.slack.conftest import RunningApp
from tests.support.harness import http_request

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
EVENTISH = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["event_callback", "url_verification", "x", ""]),
        "event": st.dictionaries(
            st.sampled_from(["type", "text", "user", "channel", "ts", "thread_ts"]),
            JSON_VALUES,
            max_size=6,
        ),
    },
    optional={"event_id": st.text(max_size=10), "challenge": JSON_VALUES},
)
FORMISH = st.dictionaries(
    st.sampled_from(
        ["command", "text", "user_id", "channel_id", "response_url", "payload"]
    ),
    st.text(max_size=40) | JSON_VALUES.map(json.dumps),
    max_size=6,
)
BODIES = st.one_of(
    st.binary(max_size=300).map(lambda b: (b, "application/octet-stream")),
    EVENTISH.map(lambda e: (json.dumps(e).encode(), "application/json")),
    FORMISH.map(lambda f: (urlencode(f).encode(), "application/x-www-form-urlencoded")),
    st.text(max_size=200).map(lambda t: (t.encode(), "application/json")),
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(
    BODIES,
    st.booleans(),
    st.dictionaries(
        st.sampled_from(
            ["X-Slack-Retry-Num", "X-Slack-Request-Timestamp", "Content-Length-Junk"]
        ),
        st.text(alphabet="0123456789abc-", max_size=8),
        max_size=2,
    ),
)
def test_random_requests_never_get_a_server_error(
    slack: RunningApp, case: tuple[bytes, str], signed: bool, extra: dict[str, Any]
) -> None:
    """Garbage in, a 2xx/4xx out; /healthz stays 200."""
    body, content_type = case
    response = slack.send.post(body, content_type, extra=extra, signed=signed)
    assert response.status < 500
    assert 200 == http_request(slack.server.address, "GET", "/healthz").status
