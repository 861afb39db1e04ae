"""HTTP mode: Bolt's WSGI adapter on the standard library's threaded server.

`POST /slack/events` takes events, commands and interactivity; `GET /healthz`
says the process is up; `GET /metrics` is for Prometheus. Each request gets an
id, bound to its log lines and handed to the listeners in Bolt's context. The
signature is checked before a body is parsed, and a body that isn't a Slack
request gets a 4xx, never a 500 or a traceback.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import structlog
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_sdk.signature import SignatureVerifier

from bot.metrics import Metrics
from bot.slack.listeners import REQUEST_ID, AckFirst

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 1 << 20  # Slack's payloads are a few KB
CLIENT_TIMEOUT_SECONDS = 10
HTTP_THREADS = 16
POLL_SECONDS = 0.1  # how soon stop() is noticed
# What a client hanging up looks like (the same three wsgiref expects); a
# refused connection to somewhere else is a real error.
HUNG_UP = (BrokenPipeError, ConnectionAbortedError, ConnectionResetError)


class _Handler(WSGIRequestHandler):
    timeout = CLIENT_TIMEOUT_SECONDS  # a silent client can't hold a thread forever
    # wsgiref writes headers and body separately; with Nagle on, the body
    # waits for the client's delayed ACK (~40 ms on Linux).
    disable_nagle_algorithm = True
    # Buffered: the status line, each header and the body would otherwise be
    # one send (and with Nagle off, one packet) each.
    wbufsize = -1

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no access log: Slack's requests are logged by what they do


class _PooledWSGIServer(WSGIServer):
    """wsgiref's server with a fixed pool of handler threads.

    socketserver.ThreadingMixIn starts a thread per request; under load that
    start-up, contending for the GIL with the listeners, doubled ack latency
    (README, "Slack load"). `server_close()` lets requests in flight finish.
    """

    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        super().__init__(address, handler)
        self._pool = ThreadPoolExecutor(HTTP_THREADS, thread_name_prefix="slack-http")

    def process_request(self, request: Any, client_address: Any) -> None:
        self._pool.submit(self._handle, request, client_address)

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except HUNG_UP as error:  # writing the buffered response
            _client_gone(error)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        structlog.get_logger().exception("http.connection_error")

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=True)


def _client_gone(error: OSError) -> None:
    """The client hung up mid-request (Slack gives up after 3 s): nothing is
    wrong here, and nobody is left to answer."""
    structlog.get_logger().info("http.client_gone", error=type(error).__name__)


def _header(headers: dict[str, Any], name: str) -> str | None:
    value = headers.get(name)
    return value if isinstance(value, str) else None


class VerifiedRequestHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, checking the signature first and refusing bodies
    Bolt can't parse with a 400."""

    def __init__(self, app: App, signing_secret: str) -> None:
        super().__init__(app, EVENTS_PATH)
        self.verifier = SignatureVerifier(signing_secret)

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        headers = request.get_headers()
        length = int(request.environ.get("CONTENT_LENGTH") or 0)
        raw: bytes = request.environ["wsgi.input"].read(length)
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
            bolt_request = BoltRequest(
                body=raw.decode("utf-8"), query=request.query_string, headers=headers
            )
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            structlog.get_logger().info("slack.bad_request", error=type(error).__name__)
            return BoltResponse(status=400, body='{"error":"bad request"}')
        bolt_request.context[REQUEST_ID] = request.environ.get(REQUEST_ID)
        return self.app.dispatch(bolt_request)


def _json(
    start_response: StartResponse, status: str, body: dict[str, Any]
) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status,
        [("content-type", "application/json"), ("content-length", str(len(data)))],
    )
    return [data]


def _metrics(start_response: StartResponse, metrics: Metrics) -> Iterable[bytes]:
    data = metrics.exposition()
    headers = [
        ("content-type", metrics.content_type),
        ("content-length", str(len(data))),
    ]
    start_response("200 OK", headers)
    return [data]


def _new_request(environ: WSGIEnvironment) -> None:
    """Handler threads are reused: each request starts with its own log context."""
    request_id = uuid.uuid4().hex[:16]
    environ[REQUEST_ID] = request_id
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)


def wsgi_app(
    slack: SlackRequestHandler, gate: AckFirst, metrics: Metrics
) -> WSGIApplication:
    def application(
        environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        _new_request(environ)
        try:
            if path in (HEALTH_PATH, METRICS_PATH) and method not in ("GET", "HEAD"):
                return _json(start_response, "405 Method Not Allowed", {})
            if path == HEALTH_PATH:
                return _json(start_response, "200 OK", {"status": "ok"})
            if path == METRICS_PATH:
                return _metrics(start_response, metrics)
            if path != EVENTS_PATH:
                return _json(start_response, "404 Not Found", {"error": "not found"})
            if method != "POST":
                return _json(start_response, "405 Method Not Allowed", {})
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length < 0:
                raise ValueError(length)
            if length > MAX_BODY_BYTES:
                return _json(start_response, "413 Content Too Large", {})
            with gate.acknowledging():
                return slack(environ, start_response)
        except ValueError:
            return _json(start_response, "400 Bad Request", {"error": "bad request"})
        except HUNG_UP as error:
            _client_gone(error)
            raise  # wsgiref drops the connection quietly
        except Exception:
            structlog.get_logger().exception("http.error", path=path)
            return _json(start_response, "500 Internal Server Error", {})

    return application


class HttpServer:
    """The app on `host:port`; `stop()` lets requests in flight finish."""

    mode = "http"

    def __init__(
        self,
        app: App,
        signing_secret: str,
        host: str,
        port: int,
        gate: AckFirst | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        slack = VerifiedRequestHandler(app, signing_secret)
        self._server = make_server(
            host,
            port,
            wsgi_app(slack, gate or AckFirst(), metrics or Metrics()),
            server_class=_PooledWSGIServer,
            handler_class=_Handler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name="slack-http",
            daemon=True,
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
