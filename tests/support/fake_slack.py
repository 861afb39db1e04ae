"""A small fake of Slack's Web API and response URLs, over real HTTP on 127.0.0.1.

It records every call, answers like Slack, and can be told to fail the next
call of a method with a rate limit (429 + Retry-After) or a Slack error, to
hang, or to reset the connection, before or after doing what was asked; or to
refuse every post to one channel (a channel the bot was removed from). Posted
messages can be read back with conversations.replies and .history, metadata
included when asked for. A post to a user id lands in the app's DM with that
person, whose id `conversations.open` gives (refused with `missing_scope`
when `im_write` is off, as for an app without that scope). The side panel's
`assistant.threads.*` methods check their required arguments as Slack does
(`invalid_arguments`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER_ID = "UBOT0001"
# The AI-app side panel's methods and the arguments Slack requires of each.
ASSISTANT_METHODS = {
    "assistant.threads.setStatus": ("channel_id", "thread_ts", "status"),
    "assistant.threads.setTitle": ("channel_id", "thread_ts", "title"),
    "assistant.threads.setSuggestedPrompts": ("channel_id", "prompts"),
}
BOT_ID = "BBOT0001"
TEAM_ID = "T0001"


@contextlib.contextmanager
def full_backlog() -> Iterator[str]:
    """An API URL on 127.0.0.1 whose listener never accepts and whose queue
    is full: the kernel drops new connections' SYNs, so connecting times
    out, as with a Slack too busy to take the connection."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        waiting: list[socket.socket] = []
        try:
            for _ in range(3):  # fill the queue (Linux keeps backlog + 1)
                queued = socket.socket()
                queued.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    queued.connect(("127.0.0.1", port))
                waiting.append(queued)
            time.sleep(0.05)
            yield f"http://127.0.0.1:{port}/api/"
        finally:
            for queued in waiting:
                queued.close()


def dm_of(channel: str) -> str:
    """The app's DM with a user id (U0ANNA01 -> D0ANNA01); else `channel`."""
    return "D" + channel[1:] if channel.startswith(("U", "W")) else channel


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the load benchmark opens many connections at once


@dataclass(frozen=True)
class Call:
    method: str  # "chat.postMessage", or "response_url" for a response URL
    body: dict[str, Any]
    path: str = ""
    status: int = 200

    @property
    def text(self) -> str:
        """Everything a person would read: `text` and all block text."""
        return str(self.body.get("text", "")) + json.dumps(self.body.get("blocks", ""))


@dataclass
class _Failure:
    status: int
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    reset: bool = False  # close the connection with a TCP reset, no answer
    after_delivery: bool = False  # Slack did the work; only the answer fails
    cut: bool = False  # the answer's headers, then half its body, then close


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _channel_errors: dict[str, str] = field(default_factory=dict)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _messages: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    # conversations.members and usergroups.users.list answer from these.
    members: dict[str, list[str]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    page_size: int = 2  # members per page: small, so the cursor is exercised
    # Each person's Home tab as last published: its hash and blocks.
    homes: dict[str, tuple[str, list[Any]]] = field(default_factory=dict)
    im_write: bool = True  # the app has `im:write`: conversations.open works
    # Response URLs whose in-channel posts land in a channel: name -> channel.
    _hooks: dict[str, str] = field(default_factory=dict)

    # -- control ------------------------------------------------------------

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:  # e.g. chat.getPermalink
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}/"

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    def response_url(self, name: str = "1", channel: str | None = None) -> str:
        """A response URL; with `channel`, its in-channel posts are messages
        there (in their `thread_ts`), which conversations.* hand back."""
        if channel is not None:
            with self._changed:
                self._hooks[name] = channel
        return f"{self.base_url}hooks/{name}"

    def reset(self) -> None:
        with self._changed:
            self.calls.clear()
            self._messages.clear()
            self._failures.clear()
            self._channel_errors.clear()
            self._hooks.clear()
            self.im_write = True

    def heal(self) -> None:
        """Forget the failures still queued; what was posted stays."""
        with self._changed:
            self._failures.clear()
            self._channel_errors.clear()
            self.im_write = True
            self.members.clear()
            self.usergroups.clear()

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        reset: bool = False,
        after_delivery: bool = False,
        cut: bool = False,
    ) -> None:
        """Answer the next `method` call with a failure instead of success,
        after `delay` seconds (longer than the client waits: a timeout), or
        `reset` the connection instead of answering. `after_delivery`: the
        call takes effect (a message is posted) and only its answer fails.
        `cut`: the answer stops half-way (the client reads a short body)."""
        with self._changed:
            failure = _Failure(
                status, error, retry_after, delay, reset, after_delivery, cut
            )
            self._failures.setdefault(method, []).append(failure)

    def fail_channel(self, channel: str, error: str = "not_in_channel") -> None:
        """Refuse every chat.postMessage to `channel` with `error` from now on."""
        with self._changed:
            self._channel_errors[channel] = error

    # -- inspection -----------------------------------------------------------

    def delivered(self, method: str) -> list[Call]:
        """Calls of `method` that Slack acted on (even if its answer failed)."""
        with self._changed:
            return [
                c for c in self.calls if c.method == method and "_failed" not in c.body
            ]

    def wait_for(
        self,
        predicate: Callable[[list[Call]], bool],
        timeout: float = 5.0,
    ) -> list[Call]:
        """Block until `predicate(calls)` holds; fail the test after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.calls):
                left = deadline - time.monotonic()
                if left <= 0:
                    methods = [c.method for c in self.calls]
                    raise AssertionError(f"timed out; calls so far: {methods}")
                self._changed.wait(left)
            return list(self.calls)

    def wait_delivered(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[Call]:
        self.wait_for(lambda _: len(self.delivered(method)) >= count, timeout)
        return self.delivered(method)

    # -- serving --------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("content-length") or 0)
        raw = request.rfile.read(length).decode()
        if "json" in (request.headers.get("content-type") or ""):
            body: dict[str, Any] = json.loads(raw) if raw else {}
        else:
            body = dict(parse_qsl(raw))
            if isinstance(body.get("blocks"), str):
                body["blocks"] = json.loads(body["blocks"])
        path, _, query = request.path.partition("?")
        body |= dict(parse_qsl(query))
        method = (
            path.removeprefix("/api/") if path.startswith("/api/") else "response_url"
        )
        with self._changed:
            queue = self._failures.get(method) or []
            failure = queue.pop(0) if queue else None
            refused = self._channel_errors.get(body.get("channel", ""))
            if failure is None and refused and method == "chat.postMessage":
                failure = _Failure(200, refused)
        delivered = failure is None or failure.after_delivery
        hook = path.rsplit("/", 1)[-1] if method == "response_url" else ""
        status, headers, payload = self._answer(
            method, body, None if delivered else failure, hook
        )
        if (
            delivered
            and failure is not None
            and (failure.status != 200 or failure.error)
        ):
            # done, and answered with the failure all the same
            status, headers, payload = self._answer(method, body, failure)
        recorded = dict(body)
        if not delivered and failure is not None:
            recorded["_failed"] = failure.error or str(failure.status)
        with self._changed:
            self.calls.append(Call(method, recorded, path, status))
            self._changed.notify_all()
        if failure is not None and failure.delay:
            time.sleep(failure.delay)  # recorded, answered too late
        if failure is not None and failure.reset:
            with contextlib.suppress(OSError):
                linger = struct.pack("ii", 1, 0)  # close() sends a reset
                request.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, linger
                )
                request.connection.shutdown(socket.SHUT_RDWR)
            request.close_connection = True
            return
        data = payload.encode()
        # After a delay the client has usually hung up.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            request.send_response(status)
            for name, value in headers.items():
                request.send_header(name, value)
            request.send_header("content-length", str(len(data)))
            request.end_headers()
            if failure is not None and failure.cut:
                request.wfile.write(data[: len(data) // 2])
                request.close_connection = True
                return
            request.wfile.write(data)

    def _now_ts(self) -> str:
        """A message ts as Slack makes them: the time, unique per message."""
        last = float(self._messages[-1]["ts"]) if self._messages else 0.0
        return f"{max(time.time(), last + 1e-6):.6f}"

    @staticmethod
    def _message(body: dict[str, Any], ts: str) -> dict[str, Any]:
        """A posted message as conversations.* hand it back."""
        metadata = body.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        return {
            "type": "message",
            "channel": body.get("channel"),
            "ts": ts,
            "thread_ts": body.get("thread_ts") or None,
            "text": body.get("text", ""),
            "bot_id": BOT_ID,
            "user": BOT_USER_ID,
            "metadata": metadata,
        }

    def _read(self, method: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        with self._changed:
            posted = [m for m in self._messages if m["channel"] == body.get("channel")]
        oldest = float(body.get("oldest") or 0)
        if method == "conversations.replies":  # oldest first, the parent too
            thread = body.get("ts")
            posted = [
                m
                for m in posted
                if thread in (m["ts"], m["thread_ts"]) and float(m["ts"]) > oldest
            ]
        else:  # newest first
            posted = [m for m in reversed(posted) if float(m["ts"]) > oldest]
        with_metadata = str(body.get("include_all_metadata", "")).lower() in (
            "1",
            "true",
        )
        return [
            {k: v for k, v in m.items() if v is not None}
            | ({} if with_metadata else {"metadata": None})
            for m in posted
        ]

    def _answer(
        self,
        method: str,
        body: dict[str, Any],
        failure: _Failure | None,
        hook: str = "",
    ) -> tuple[int, dict[str, str], str]:
        json_type = {"content-type": "application/json; charset=utf-8"}
        if failure is not None:
            headers = dict(json_type)
            if failure.retry_after is not None:
                headers["retry-after"] = str(failure.retry_after)
            error = failure.error or "ratelimited"
            return failure.status, headers, json.dumps({"ok": False, "error": error})
        if method == "response_url":
            channel = self._hooks.get(hook)
            if channel is not None and body.get("response_type") == "in_channel":
                with self._changed:
                    ts = self._now_ts()
                    self._messages.append(
                        self._message(body | {"channel": channel}, ts)
                    )
            return 200, {"content-type": "text/html"}, "ok"
        result: dict[str, Any] = {"ok": True}
        if method in ASSISTANT_METHODS:
            # `status` may be "" (clears it); the others must be given.
            missing = [a for a in ASSISTANT_METHODS[method] if body.get(a) is None]
            if missing or not body.get("channel_id"):
                refused = {"ok": False, "error": "invalid_arguments"}
                return 200, json_type, json.dumps(refused)
        elif method == "auth.test":
            result |= {
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "stpm-bot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        elif method == "chat.postMessage":
            channel = dm_of(str(body.get("channel", "")))
            with self._changed:
                ts = self._now_ts()
                result |= {"channel": channel, "ts": ts}
                self._messages.append(self._message(body | {"channel": channel}, ts))
        elif method == "conversations.open":
            if not self.im_write:
                return 200, json_type, '{"ok": false, "error": "missing_scope"}'
            result["channel"] = {"id": dm_of(str(body.get("users", "")))}
        elif method in ("conversations.replies", "conversations.history"):
            if str(body.get("channel", "")).startswith(("U", "W")):
                # A user id is no conversation id (posting to one opens the
                # app's DM; reading it needs the DM's id).
                return 200, json_type, '{"ok": false, "error": "channel_not_found"}'
            result |= {"messages": self._read(method, body), "has_more": False}
        elif method == "chat.getPermalink":
            ts = str(body.get("message_ts", "")).replace(".", "")
            link = f"https://example.slack.com/archives/{body.get('channel')}/p{ts}"
            result |= {"channel": body.get("channel"), "permalink": link}
        elif method == "conversations.members":
            if body.get("channel") not in self.members:
                return 200, json_type, '{"ok": false, "error": "channel_not_found"}'
            everyone = self.members[body["channel"]]
            start = int(body.get("cursor") or 0)
            end = start + self.page_size
            more = str(end) if end < len(everyone) else ""
            result |= {
                "members": everyone[start:end],
                "response_metadata": {"next_cursor": more},
            }
        elif method == "usergroups.users.list":
            if body.get("usergroup") not in self.usergroups:
                return 200, json_type, '{"ok": false, "error": "no_such_subteam"}'
            result["users"] = self.usergroups[body["usergroup"]]
        elif method == "views.open":
            result["view"] = {"id": f"V{next(self._ts):08d}"}
        elif method == "views.publish":
            user = str(body.get("user_id", ""))
            view = body.get("view")
            if isinstance(view, str):
                view = json.loads(view)
            with self._changed:
                shown = self.homes.get(user, ("", []))[0]
                if body.get("hash") and body["hash"] != shown:
                    return 200, json_type, '{"ok": false, "error": "hash_conflict"}'
                fresh = f"H{next(self._ts):08d}"
                self.homes[user] = (fresh, list((view or {}).get("blocks", [])))
            result["view"] = {"id": f"V{next(self._ts):08d}", "hash": fresh}
        elif method == "chat.postEphemeral":
            result["message_ts"] = f"1700000000.{next(self._ts):06d}"
        return 200, json_type, json.dumps(result)
