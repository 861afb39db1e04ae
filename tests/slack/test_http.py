"""The HTTP edge: signatures, malformed bodies, health, mode selection."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest
from structlog.testing import capture_logs

from bot.compose import Core, assemble
from bot.slack.app import SocketMode, build_app, frontend
from bot.slack.http import HttpServer
from bot.store.database import Store
from bot.store.engine import engine_for
from tests.slack.conftest import RunningApp, make_settings
from tests.support.fake_slack import FakeSlack
from tests.support.harness import (
    SIGNING_SECRET,
    SlackSender,
    command,
    envelope,
    http_request,
    mention,
    sign,
)

ROOT = Path(__file__).resolve().parents[2]


def _healthy(slack: RunningApp) -> bool:
    response = http_request(slack.server.address, "GET", "/healthz")
    return 200 == response.status and {"status": "ok"} == response.json()


def test_healthz_answers_200_json(slack: RunningApp) -> None:
    """GET /healthz → 200 with a small JSON body."""
    response = http_request(slack.server.address, "GET", "/healthz")
    assert 200 == response.status
    assert response.headers["content-type"].startswith("application/json")
    assert {"status": "ok"} == response.json()


def test_url_verification_echoes_the_challenge(slack: RunningApp) -> None:
    """Slack's url_verification handshake gets its challenge back."""
    body = {
        "token": "t",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    response = slack.send.event(body)
    assert 200 == response.status
    assert body["challenge"] in response.body.decode()


def test_a_bad_signature_is_refused_and_nothing_posted(slack: RunningApp) -> None:
    """A body signed with another secret → 401, no reply."""
    body = json.dumps(envelope(mention("what does an stpm do?"))).encode()
    slack.send.secret = "not-the-secret"
    response = slack.send.post(body, "application/json")
    slack.drain()
    assert 401 == response.status
    assert [] == slack.fake.delivered("chat.postMessage")


def test_a_stale_timestamp_is_refused_and_nothing_posted(slack: RunningApp) -> None:
    """A correctly signed request older than five minutes → 401, no reply."""
    body = json.dumps(envelope(mention("what does an stpm do?"))).encode()
    response = slack.send.post(body, "application/json", ts=int(time.time()) - 600)
    slack.drain()
    assert 401 == response.status
    assert [] == slack.fake.delivered("chat.postMessage")


def test_unsigned_requests_are_refused(slack: RunningApp) -> None:
    """No signature headers, or a garbage timestamp → 401."""
    body = b'{"type":"url_verification","challenge":"x"}'
    assert 401 == slack.send.post(body, "application/json", signed=False).status
    headers = {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}
    response = slack.send.post(body, "application/json", signed=False, extra=headers)
    assert 401 == response.status


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
        (b'"just a string"', "application/json"),
        (b"hello=world", "application/x-www-form-urlencoded"),
    ],
)
def test_signed_malformed_bodies_get_a_4xx_and_the_server_stays_healthy(
    slack: RunningApp, body: bytes, content_type: str
) -> None:
    """Not JSON, not a form, a garbage payload: 4xx, never a crash."""
    response = slack.send.post(body, content_type)
    assert 400 <= response.status < 500
    assert b"Traceback" not in response.body
    assert _healthy(slack)


def test_wrong_paths_methods_and_lengths_get_a_4xx(slack: RunningApp) -> None:
    """Unknown path → 404, GET on the events path → 405, bad lengths → 4xx."""
    address = slack.server.address
    assert 404 == http_request(address, "GET", "/nope").status
    assert 405 == http_request(address, "GET", "/slack/events").status
    assert 405 == http_request(address, "POST", "/healthz").status
    too_long = {"Content-Length": str(10 * 1024 * 1024)}
    assert 413 == http_request(address, "POST", "/slack/events", b"", too_long).status
    bad = {"Content-Length": "-1"}
    assert 400 == http_request(address, "POST", "/slack/events", b"", bad).status
    assert _healthy(slack)


def test_a_client_that_hangs_up_is_no_error(slack: RunningApp) -> None:
    """A client resetting the connection before, while or after the app
    answers (Slack gives up after 3 s) is logged quietly, without a
    traceback, and the server keeps serving."""
    body = urlencode(command("/skill", "cloud", slack.fake.response_url("gone")))
    headers = sign(body.encode()) | {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(len(body)),
    }
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    whole = f"POST /slack/events HTTP/1.1\r\nHost: x\r\n{head}\r\n{body}"
    cut = whole[: len(whole) - len(body) // 2]  # the body never finishes
    with capture_logs() as logs:
        for request in (whole, cut) * 5:
            with socket.create_connection(slack.server.address) as client:
                client.sendall(request.encode())
                client.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
        assert _healthy(slack)
        deadline = time.monotonic() + 5  # logged on the server's own loop
        while not any("http.client_gone" == e["event"] for e in logs):
            assert time.monotonic() < deadline, "no http.client_gone logged"
            time.sleep(0.05)
    assert [] == [e for e in logs if e["log_level"] in ("error", "critical")]


def test_commands_are_acknowledged_quickly(slack: RunningApp) -> None:
    """A slash command gets its 200 well within Slack's 3 seconds."""
    start = time.perf_counter()
    response = slack.send.command(command("/stpm", "hi", slack.fake.response_url()))
    assert 200 == response.status
    assert time.perf_counter() - start < 1.0


def test_socket_mode_is_chosen_when_an_app_token_is_set(
    fake_slack: FakeSlack, slack_core: Core, tmp_path: Path
) -> None:
    """SLACK_APP_TOKEN set → Socket Mode (built, not connected)."""
    settings = make_settings(fake_slack, tmp_path, SLACK_APP_TOKEN="xapp-1-test")
    app = build_app(
        assemble(
            settings, slack_core.library, Store(engine_for("sqlite://")), counted=False
        )
    )
    chosen = frontend(settings, app)
    try:
        assert isinstance(chosen, SocketMode)
        assert "xapp-1-test" == chosen.handler.app_token
        assert fake_slack.api_url == chosen.handler.client.web_client.base_url
    finally:
        chosen.stop()


def test_http_mode_is_chosen_without_an_app_token(
    fake_slack: FakeSlack, slack_core: Core, tmp_path: Path
) -> None:
    """No SLACK_APP_TOKEN → HTTP on STPM_BOT_HOST and PORT."""
    with socket.socket() as probe:  # a port that is free right now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = make_settings(fake_slack, tmp_path, host="127.0.0.1", PORT=port)
    app = build_app(
        assemble(
            settings, slack_core.library, Store(engine_for("sqlite://")), counted=False
        )
    )
    chosen = frontend(settings, app)
    try:
        assert isinstance(chosen, HttpServer)
        assert ("127.0.0.1", port) == chosen.address
    finally:
        chosen.stop()


def test_sigterm_finishes_what_is_in_flight_then_exits(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """`serve` in its own process: SIGTERM right after an event → reply, exit 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_BASE_URL": fake_slack.api_url,
        "SLACK_APP_TOKEN": "",
        "STPM_BOT_HOST": "127.0.0.1",
        "PORT": str(port),
        "STPM_BOT_DATA_DIR": str(tmp_path),
        "STPM_BOT_DATABASE_URL": "",
        "STPM_BOT_LOG_LEVEL": "WARNING",
    }
    code = "from bot.compose import build; from bot.settings import Settings; "
    code += "from bot.slack.app import serve; serve(build(Settings(_env_file=None)))"
    app = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert app.poll() is None, "the app exited on start"
            assert time.monotonic() < deadline, "the app never became healthy"
            try:
                if 200 == http_request(("127.0.0.1", port), "GET", "/healthz").status:
                    break
            except OSError:
                time.sleep(0.05)
        sender = SlackSender(("127.0.0.1", port))
        assert 200 == sender.event(envelope(mention("what does an stpm do?"))).status
        app.send_signal(signal.SIGTERM)
        assert 0 == app.wait(timeout=20)
    finally:
        if app.poll() is None:
            app.kill()
    assert 1 == len(fake_slack.delivered("chat.postMessage"))


def _signed_command_bytes(slack: RunningApp) -> tuple[bytes, bytes]:
    """A whole signed /skill request, and the same with half its body."""
    body = urlencode(command("/skill", "cloud", slack.fake.response_url()))
    headers = sign(body.encode()) | {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(len(body)),
    }
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    whole = f"POST /slack/events HTTP/1.1\r\nHost: x\r\n{head}\r\n{body}".encode()
    return whole, whole[: len(whole) - len(body) // 2]


def _holding(address: tuple[str, int], data: bytes) -> socket.socket:
    client = socket.create_connection(address)
    client.sendall(data)
    return client


def _closed_by_server(client: socket.socket, within: float) -> bytes:
    """What the server sent before it closed the connection."""
    client.settimeout(within)
    received = b""
    while chunk := client.recv(4096):
        received += chunk
    return received


def test_slow_clients_never_delay_a_command_or_the_health_check(
    start_app: Callable[..., RunningApp],
) -> None:
    """40 clients sending half a head and 20 sending half a body hold no
    thread: /healthz and a slash command are answered at once, and the
    command's answer is posted."""
    slack = start_app(deadlines=(60.0, 60.0))  # deadlines play no part here
    whole, cut = _signed_command_bytes(slack)
    address = slack.server.address
    held = [
        _holding(address, b"POST /slack/events HTTP/1.1\r\nHost") for _ in range(40)
    ]
    held += [_holding(address, cut) for _ in range(20)]
    try:
        start = time.perf_counter()
        assert _healthy(slack)
        with socket.create_connection(address) as client:
            client.sendall(
                whole.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n", 1)
            )
            assert _closed_by_server(client, 10).startswith(b"HTTP/1.1 200")
        elapsed = time.perf_counter() - start
    finally:
        for client in held:
            client.close()
    assert elapsed < 2.0, f"waited {elapsed:.1f} s behind slow clients"
    slack.drain()
    assert 1 == len(slack.fake.delivered("response_url"))


def test_a_head_that_never_finishes_is_cut_off(
    start_app: Callable[..., RunningApp],
) -> None:
    """A client that sends nothing, half a head, or half the next request's
    head on a kept-alive connection is disconnected after the head deadline."""
    slack = start_app(deadlines=(0.5, 0.5))
    address = slack.server.address
    silent = socket.create_connection(address)
    half = _holding(address, b"GET /healthz HTTP/1.1\r\nHo")
    kept = _holding(address, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /heal")
    try:
        assert b"" == _closed_by_server(silent, 5)
        assert b"" == _closed_by_server(half, 5)
        assert _closed_by_server(kept, 5).startswith(b"HTTP/1.1 200")
    finally:
        for client in (silent, half, kept):
            client.close()
    assert _healthy(slack)


@pytest.mark.parametrize(
    "head",
    [
        b"X-Filler: " + b"a" * 1000 + b"\r\n",  # many headers, each in bounds
        b"X-Filler: " + b"a" * 70_000 + b"\r\n",  # one header over the limit
    ],
    ids=["many-headers", "one-long-header"],
)
def test_a_head_over_64_kb_gets_400_and_the_server_stays_healthy(
    slack: RunningApp, head: bytes
) -> None:
    """The request line and headers are limited to 64 KB, however they
    are cut: 400, the connection closed, nothing answered."""
    repeat = 70 if len(head) < 2000 else 1
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + head * repeat + b"\r\n"
    with _holding(slack.server.address, request) as client:
        assert _closed_by_server(client, 5).startswith(b"HTTP/1.1 400")
    assert _healthy(slack)


def test_a_header_that_never_ends_is_cut_off_at_the_limit(
    slack: RunningApp,
) -> None:
    """A header line sent on and on without its end: the connection is
    closed once the bytes read pass what a head may hold, not held until
    the head deadline. (The 400 sent may be lost to the reset
    that closing on unread data causes.)"""
    client = _holding(slack.server.address, b"GET /healthz HTTP/1.1\r\nX-Long: ")
    # A reset or broken pipe ends the sending or the reading: closed by the
    # server (a read that times out is an OSError too, but logs nothing).
    with capture_logs() as logs, client, contextlib.suppress(OSError):
        for _ in range(40):  # 2.6 MB: far past the 64 KB bound
            client.sendall(b"a" * 65536)
        _closed_by_server(client, 5)
    assert ["head"] == [e["part"] for e in logs if e["event"] == "http.too_large"]
    assert _healthy(slack)


def test_a_body_that_never_finishes_gets_408_and_nothing_is_posted(
    start_app: Callable[..., RunningApp],
) -> None:
    """The head arrives, half the body never does: 408 after the body
    deadline, no answer, and the server keeps serving."""
    slack = start_app(deadlines=(5.0, 0.5))
    _, cut = _signed_command_bytes(slack)
    with _holding(slack.server.address, cut) as client:
        assert _closed_by_server(client, 5).startswith(b"HTTP/1.1 408")
    slack.drain()
    assert [] == slack.fake.delivered("response_url")
    assert _healthy(slack)
