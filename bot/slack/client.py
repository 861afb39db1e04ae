"""The one Slack Web API client: slack_sdk's retries, every request counted.

Rate limits (429), Slack's server errors (500, 503), dropped connections and
timeouts are retried a few times by slack_sdk's retry handlers; a call that
still fails raises to its caller, which logs the give-up once (the app's error
handler logs `slack.error`, the tip poster `tips.*`).

Counting is a retry handler too: Bolt builds a fresh `WebClient` for every
request but copies the retry handlers into it, so a handler is the one place
that sees every request of every client. It never asks for a retry.
"""

from __future__ import annotations

import http.client
import socket
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import (
    BackoffRetryIntervalCalculator,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.metrics import Metrics
from bot.settings import Settings

RATE_LIMIT_RETRIES = 2
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2
TIMEOUT_SECONDS = 10  # slack_sdk's default is 30: too long for a reply
BACKOFF = BackoffRetryIntervalCalculator(backoff_factor=0.25)  # 0.25 s, 0.5 s


class Meter(RetryHandler):
    """Counts each Web API request (retries included) and each failed one, by
    method: Slack's error code, the HTTP status or the exception's name."""

    def __init__(self, metrics: Metrics, name: str = "") -> None:
        """`name`: the method to count every request as (a response_url's
        path is a capability, not a method name)."""
        super().__init__(max_retry_count=0)
        self.metrics = metrics
        self.name = name

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = self.name or request.url.split("?", 1)[0].rsplit("/", 1)[-1]
        self.metrics.slack_call(method, _failure(response, error))
        return False


def _failure(response: HttpResponse | None, error: Exception | None) -> str | None:
    if response is None:
        return type(error).__name__ if error else "unknown"
    body: Any = response.body
    if response.status_code == 200:
        if isinstance(body, dict) and body.get("ok") is False:
            return str(body.get("error") or "error")
        return None
    return str(response.status_code)


def never_sent(error: BaseException | None) -> bool:
    """Whether `error` says the request surely never reached Slack: the
    connection was refused, the name did not resolve, or the time ran out
    before the request was written.

    urllib wraps what fails while connecting and writing the request in
    URLError; a timeout while waiting for the answer comes unwrapped, and
    that request may have been acted on. A write that timed out left part
    of the request unsent, and nothing acts on half a request. This holds
    for one exchange: a base URL that redirects (a gateway in front of
    Slack; Slack's own API never does) would be followed by urllib on a new
    connection after the first request arrived, so `SLACK_API_BASE_URL`
    must not redirect."""
    cause = getattr(error, "reason", error)
    if isinstance(error, URLError) and isinstance(cause, TimeoutError):
        return True
    return isinstance(cause, ConnectionRefusedError | socket.gaierror)


class NeverSent(RetryHandler):
    """Retries only a request that surely never reached Slack (`never_sent`).
    A reset, a disconnect or a timeout waiting for the answer may come after
    Slack got (and acted on) the request."""

    def __init__(self) -> None:
        super().__init__(
            max_retry_count=CONNECTION_RETRIES, interval_calculator=BACKOFF
        )

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return never_sent(error)


class BriefRateLimit(RateLimitErrorRetryHandler):
    """Waits out a rate limit only when Slack asks for at most `MAX_WAIT`
    seconds (the daily tips' policy, `tips=True`). A daily tip holds its
    claim while it waits, and another process takes over a claim older than
    two minutes (`tip_poster`): a longer wait is a refusal for now instead
    (the claim released, the tip tried again at the next look). Twice that
    wait and the client's three 10 s tries leave the look for the post
    time within those two minutes."""

    MAX_WAIT = 20

    def __init__(self) -> None:
        super().__init__(max_retry_count=RATE_LIMIT_RETRIES)

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        said = next(
            (v for k, v in response.headers.items() if k.lower() == "retry-after"),
            ["1"],
        )
        try:
            return int(said[0]) <= self.MAX_WAIT
        except (ValueError, IndexError):
            return False


def retry_handlers(
    metrics: Metrics, at_most_once: bool = False, tips: bool = False
) -> list[RetryHandler]:
    """For replies, a timed-out or 500-failed post may still have reached Slack;
    retrying risks a rare duplicate, which is better than a question left
    unanswered. `at_most_once` (posts promised never twice) retries only
    what Slack surely did not do: rate limits, and requests that never left
    (`never_sent`). `tips`: at most once, and a rate limit waited out only
    when short (`BriefRateLimit`)."""
    if at_most_once or tips:
        limit = (
            BriefRateLimit()
            if tips
            else RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)
        )
        return [Meter(metrics), NeverSent(), limit]
    return [
        Meter(metrics),  # first: it sees every attempt, then lets the rest decide
        ConnectionErrorRetryHandler(
            max_retry_count=CONNECTION_RETRIES,
            interval_calculator=BACKOFF,
            # URLError, connection resets and timeouts are all OSErrors.
            error_types=[OSError],
        ),
        ServerErrorRetryHandler(
            max_retry_count=SERVER_ERROR_RETRIES, interval_calculator=BACKOFF
        ),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]


class AnswerCutShort(ConnectionError):
    """Slack's answer stopped before its end (a short body, a garbled status
    line): the request reached Slack, which may have acted on it."""


class Client(WebClient):
    """The Web API client whose every transport failure is an `OSError`:
    urllib's `http.client.HTTPException` for an answer cut short (which
    slack_sdk passes on as it is) becomes `AnswerCutShort`, so every caller
    that handles a reset handles it too, as a failure after sending."""

    def _perform_urllib_http_request(
        self, *, url: str, args: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        try:
            return super()._perform_urllib_http_request(url=url, args=args)
        except http.client.HTTPException as error:
            if isinstance(error, OSError):  # RemoteDisconnected is a reset too
                raise
            raise AnswerCutShort(
                f"Slack's answer was cut short ({type(error).__name__})"
            ) from error


def like(
    client: WebClient,
    *,
    timeout: int | None = None,
    retry_handlers: list[RetryHandler] | None = None,
) -> Client:
    """A `Client` like `client` (its token, team, URL and connection
    settings), with `timeout` and `retry_handlers` in place of its own."""
    handlers = client.retry_handlers if retry_handlers is None else retry_handlers
    return Client(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout if timeout is None else timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=handlers,
    )


def ours(client: WebClient) -> Client:
    """`client` (the one Bolt makes for each request) as a `Client`."""
    return client if isinstance(client, Client) else like(client)


def web_client(
    settings: Settings,
    metrics: Metrics | None = None,
    at_most_once: bool = False,
    tips: bool = False,
) -> WebClient:
    """The client for every Web API call: `SLACK_API_BASE_URL`, failures
    retried (see `retry_handlers` for `at_most_once` and `tips`)."""
    token = settings.slack_bot_token
    return Client(
        token=token.get_secret_value() if token else None,
        base_url=settings.slack_api_base_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(metrics or Metrics(), at_most_once, tips),
    )


def quick_client(client: WebClient, timeout: int) -> WebClient:
    """`client` for a look-up made while Slack waits for the ack (3 s): the
    same token and meter, at most `timeout` seconds, no retries."""
    meters: list[RetryHandler] = [
        h for h in client.retry_handlers if isinstance(h, Meter)
    ]
    return like(client, timeout=timeout, retry_handlers=meters[:1])


def webhook_handlers(metrics: Metrics) -> list[RetryHandler]:
    """For `response_url` posts: counted as `response_url`, and retried only
    when Slack surely did not post (rate limited, `never_sent`): an answer
    posted there must not appear twice."""
    return [
        Meter(metrics, "response_url"),
        NeverSent(),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]
