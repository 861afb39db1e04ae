"""HTTP mode: uvicorn (with its C parser, httptools) serving an ASGI app
around Bolt's ASGI adapter.

`POST /slack/events` takes events, commands and interactivity; `GET /healthz`
says the process is up; `GET /metrics` is for Prometheus. uvicorn's event loop
reads every request; slow clients hold a socket, never a thread, and each
request has a deadline: its headers within `HEADER_SECONDS`, its body within
`BODY_SECONDS`, or the connection is closed (408 for a late body). `/healthz`
and `/metrics` are answered on the event loop itself, never queued behind
Slack traffic; Slack requests go to a pool of `HTTP_THREADS` threads, where the
signature is checked before the body is parsed and Bolt acks. A body that
isn't a Slack request gets a 4xx, never a 500 or a traceback. Each request
gets an id, bound to its log lines and handed to the listeners in Bolt's
context.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import json
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog
import uvicorn
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.asgi.http_response import AsgiHttpResponse
from slack_sdk.signature import SignatureVerifier
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot.metrics import Metrics
from bot.slack.listeners import REQUEST_ID, AckFirst

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 1 << 20  # Slack's payloads are a few KB
MAX_HEADER_BYTES = 64 * 1024
HEADER_SECONDS = 5.0  # from connecting (or the last response) to the whole head
BODY_SECONDS = 5.0  # from the head to the whole body
KEEP_ALIVE_SECONDS = 5
HTTP_THREADS = 16  # Bolt's dispatch: the signature check and the ack
STARTUP_SECONDS = 10.0
# Requests in flight when SIGTERM comes are answered within this many seconds.
SHUTDOWN_SECONDS = 10

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ClientGone(Exception):
    """The client hung up before its request was whole."""


class TooSlow(Exception):
    """The body didn't arrive within its deadline."""


class TooLarge(Exception):
    """The body is over MAX_BODY_BYTES."""


class HeadTooLarge(Exception):
    """The request line and headers are over MAX_HEADER_BYTES."""


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's protocol on the C parser (httptools), with a deadline and a
    size limit on each request's head.

    A client that connects and trickles its headers (or sends none) is cut off
    after `HEADER_SECONDS`; once the head is in, the app's body deadline
    applies. The deadline is armed again after every response, for the next
    request on a kept-alive connection. A head over `MAX_HEADER_BYTES` gets
    400 and the connection is closed (the parser's callback error), and so
    does a header line that never ends, once `MAX_HEADER_BYTES` have been
    read without the head ending.
    """

    head_seconds = HEADER_SECONDS
    _deadline: asyncio.TimerHandle | None = None
    _head_bytes = 0  # the head's parsed bytes so far
    _head_read = 0  # bytes read while the head is unfinished
    _in_head = False

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            # The parser holds a header until its line ends, so the callbacks
            # never see one that doesn't: count what was read instead. A read
            # that finished the head (and may carry the body) is not counted.
            self._head_read += len(data)
            if self._head_read > MAX_HEADER_BYTES:
                structlog.get_logger().info("http.too_large", part="head")
                self.send_400_response("Request head too large.")

    def on_message_begin(self) -> None:
        self._head_bytes = self._head_read = 0
        self._in_head = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEADER_BYTES:
            structlog.get_logger().info("http.too_large", part="head")
            raise HeadTooLarge

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.head_seconds, self._expire)

    def _expire(self) -> None:
        waiting_for_head = self.cycle is None or self.cycle.response_complete
        if waiting_for_head and not self.transport.is_closing():
            structlog.get_logger().info("http.too_slow", part="head")
            self.transport.close()


def _header(headers: dict[str, str], name: str) -> str | None:
    return headers.get(name)


def _json(status: int, body: dict[str, Any], close: bool = False) -> AsgiHttpResponse:
    headers: dict[str, Sequence[str]] = {"content-type": ["application/json"]}
    if close:  # the rest of the body is never read: the connection can't be reused
        headers["connection"] = ["close"]
    return AsgiHttpResponse(status, headers, json.dumps(body))


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunks.extend(message.get("body", b""))
        if len(chunks) > limit:
            raise TooLarge
        if not message.get("more_body", False):
            return bytes(chunks)


class SlackAsgi:
    """The ASGI app: health and metrics on the loop, Slack on the pool."""

    def __init__(
        self,
        app: App,
        signing_secret: str,
        gate: AckFirst,
        metrics: Metrics,
        pool: ThreadPoolExecutor,
        body_seconds: float = BODY_SECONDS,
    ) -> None:
        self.app = app
        self.body_seconds = body_seconds
        self.verifier = SignatureVerifier(signing_secret)
        self.gate = gate
        self.metrics = metrics
        self.pool = pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is off; nothing else is served
            return
        request_id = uuid.uuid4().hex[:16]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = await self._respond(scope, receive, request_id)
        except ClientGone:
            structlog.get_logger().info("http.client_gone")
            return
        await send(response.get_response_start())
        await send(response.get_response_body())

    async def _respond(
        self, scope: Scope, receive: Receive, request_id: str
    ) -> AsgiHttpResponse:
        path, method = scope["path"], scope["method"]
        if path in (HEALTH_PATH, METRICS_PATH) and method not in ("GET", "HEAD"):
            return _json(405, {})
        if path == HEALTH_PATH:
            return _json(200, {"status": "ok"})
        if path == METRICS_PATH:
            data = self.metrics.exposition().decode()
            return AsgiHttpResponse(
                200, {"content-type": [self.metrics.content_type]}, data
            )
        if path != EVENTS_PATH:
            return _json(404, {"error": "not found"})
        if method != "POST":
            return _json(405, {})
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in scope["headers"]
        }
        length = headers.get("content-length", "0")
        if not length.isdigit():
            return _json(400, {"error": "bad request"})
        if int(length) > MAX_BODY_BYTES:
            return _json(413, {}, close=True)
        try:
            raw = await asyncio.wait_for(
                _read_body(receive, MAX_BODY_BYTES), self.body_seconds
            )
        except TooLarge:
            return _json(413, {}, close=True)
        except TimeoutError:
            structlog.get_logger().info("http.too_slow", part="body")
            return _json(408, {}, close=True)
        query = scope.get("query_string", b"").decode("latin-1")
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        bolt = await loop.run_in_executor(
            self.pool, context.run, self._dispatch, raw, query, headers, request_id
        )
        return AsgiHttpResponse(bolt.status, bolt.headers, bolt.body)

    def _dispatch(
        self, raw: bytes, query: str, headers: dict[str, str], request_id: str
    ) -> BoltResponse:
        """Bolt's part, on a pool thread: the signature first, then the ack."""
        try:
            valid = self.verifier.is_valid(
                raw,
                _header(headers, "x-slack-request-timestamp"),
                _header(headers, "x-slack-signature"),
            )
        except ValueError:  # a timestamp that isn't a number
            valid = False
        if not valid:
            structlog.get_logger().info("slack.invalid_signature")
            return BoltResponse(status=401, body='{"error":"invalid request"}')
        try:
            request = BoltRequest(
                body=raw.decode("utf-8"), query=query, headers=dict(headers)
            )
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            structlog.get_logger().info("slack.bad_request", error=type(error).__name__)
            return BoltResponse(status=400, body='{"error":"bad request"}')
        request.context[REQUEST_ID] = request_id
        try:
            with self.gate.acknowledging():
                return self.app.dispatch(request)
        except Exception:
            structlog.get_logger().exception("http.error", path=EVENTS_PATH)
            return BoltResponse(status=500, body="{}")


class CannotListen(OSError):
    """`STPM_BOT_HOST:PORT` can't be listened on; the message is one line
    for the operator."""


_WHY_NOT = {
    errno.EADDRINUSE: "the port is in use by another process",
    errno.EADDRNOTAVAIL: "no network interface of this machine has that address",
    errno.EACCES: "not allowed: a port under 1024 needs privileges",
}


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if isinstance(error, socket.gaierror):
            why = "not an address, nor a name this machine can look up"
        else:
            why = _WHY_NOT.get(error.errno or 0, error.strerror or str(error))
        raise CannotListen(
            f"cannot listen on {host}:{port} ({why}): check STPM_BOT_HOST and PORT"
        ) from None
    sock.set_inheritable(True)
    return sock


class HttpServer:
    """The app on `host:port` under uvicorn, in a thread of its own;
    `stop()` lets requests in flight finish."""

    mode = "http"

    def __init__(
        self,
        app: App,
        signing_secret: str,
        host: str,
        port: int,
        gate: AckFirst | None = None,
        metrics: Metrics | None = None,
        *,
        head_seconds: float = HEADER_SECONDS,
        body_seconds: float = BODY_SECONDS,
    ) -> None:
        self._pool = ThreadPoolExecutor(HTTP_THREADS, thread_name_prefix="slack-http")
        asgi = SlackAsgi(
            app,
            signing_secret,
            gate or AckFirst(),
            metrics or Metrics(),
            self._pool,
            body_seconds,
        )
        protocol = type(
            "DeadlineProtocol", (DeadlineProtocol,), {"head_seconds": head_seconds}
        )
        self._socket = _bind(host, port)
        bound = self._socket.getsockname()
        self._address = (str(bound[0]), int(bound[1]))
        config = uvicorn.Config(
            asgi,
            http=protocol,
            ws="none",
            lifespan="off",
            interface="asgi3",
            log_config=None,
            log_level="warning",
            access_log=False,
            server_header=False,
            proxy_headers=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=SHUTDOWN_SECONDS,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name="slack-http",
            daemon=True,
        )

    @property
    def address(self) -> tuple[str, int]:
        return self._address

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"the HTTP server did not start on {self.address}")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.should_exit = True
            self._thread.join()
        self._socket.close()
        self._pool.shutdown(wait=True)
