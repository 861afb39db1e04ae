"""Which failed Slack calls surely never reached Slack, judged on real
sockets: only those may be sent again where a post must not repeat."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.metrics import Metrics
from bot.slack.client import CONNECTION_RETRIES, retry_handlers
from bot.slack.posting import unclear
from tests.support.fake_slack import full_backlog


@pytest.fixture
def silent() -> Iterator[str]:
    """An API URL that takes the request and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        taken: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            listener.settimeout(0.1)
            while not stop.is_set():
                try:
                    taken.append(listener.accept()[0])
                except TimeoutError:
                    continue

        worker = threading.Thread(target=accept, daemon=True)
        worker.start()
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/"
        stop.set()
        worker.join()
        for conn in taken:
            conn.close()


def _post(url: str) -> tuple[Exception, float]:
    """Post through the at-most-once client: what it raised, and how many
    tries its meter counted."""
    metrics = Metrics()
    client = WebClient(
        token="xoxb-test",
        base_url=url,
        timeout=1,
        retry_handlers=retry_handlers(metrics, at_most_once=True),
    )
    with pytest.raises(OSError) as raised:
        client.chat_postMessage(channel="C1", text="hello")
    tries = metrics.registry.get_sample_value(
        "stpm_bot_slack_api_calls_total", {"method": "chat.postMessage"}
    )
    return raised.value, tries or 0.0


def test_a_connection_that_timed_out_is_known_never_sent_and_retried() -> None:
    """Slack never took the connection: the post surely didn't reach it, so
    the at-most-once client tries again, and the failure is not unclear."""
    with full_backlog() as busy:
        error, tries = _post(busy)
    assert not unclear(error)
    assert 1 + CONNECTION_RETRIES == tries


def test_an_answer_that_timed_out_is_unclear_and_not_retried(silent: str) -> None:
    """Slack took the request and never answered: it may have posted, so
    the at-most-once client doesn't send it again."""
    error, tries = _post(silent)
    assert unclear(error)
    assert 1 == tries


@pytest.mark.parametrize(
    ("tips", "waits"), [(False, True), (True, False)], ids=["answers", "tips"]
)
def test_only_the_tips_refuse_a_long_rate_limit(tips: bool, waits: bool) -> None:
    """Answers and relays wait out whatever `Retry-After` Slack asks for
    (better late than lost); a daily tip, which holds its claim meanwhile,
    waits 20 s at most and else is refused for now."""
    handlers = retry_handlers(Metrics(), at_most_once=True, tips=tips)
    request = HttpRequest(method="POST", url="http://127.0.0.1/api/x", headers={})

    def retried(after: int) -> bool:
        response = HttpResponse(status_code=429, headers={"Retry-After": str(after)})
        return any(
            h.can_retry(state=RetryState(), request=request, response=response)
            for h in handlers
        )

    assert retried(5)
    assert waits == retried(70)
