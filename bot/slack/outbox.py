"""Durable acknowledgements: a Slack request is in the store before its 200.

Slack never re-sends a request it got a 200 for, so work held only in memory
is lost when the process dies. Every listener registered through
`bot.slack.listeners.listen` therefore writes its request to the store's
outbox first, then acks, then works; the row is deleted when the work is done.

- Requests that come while one is being written are written together in the
  next transaction (`GroupCommit`): under a burst, one commit per batch
  instead of one per request, each still acked only once its row is in.
- A process that dies leaves its rows behind; their lease (30 s, renewed while
  the process lives) runs out and any replica, or the same one restarted,
  dispatches them through Bolt again (`Outbox.resume`, a few rows per look;
  `Outbox.keep_leases` renews on a thread of its own, so a slow replay never
  lets a live process's rows expire). The listeners' own
  claims, and a look for the reply before posting it (`bot.slack.posting`),
  keep a resumed request from answering twice.
- A request that can't be recorded (the store is away), or that comes while
  the oldest request this process acknowledged has waited longer than the
  shutdown grace period for its work to begin (the backlog no longer drains
  within it), is not acknowledged: Slack gets a 503 and retries it later.
- Work that runs past its lease (the store away for this process's
  renewals, say) may find its row taken up by another process. Where the
  taker's replay goes on past the claims this process made and looks for
  the reply first (answers in threads and DMs, entries opened from a
  click), each post asks first whether the row is still this process's
  (`check_fence`; renewed first when the last renewal is older than half
  the lease), and the request is left to the taker when it isn't. (Posts
  whose claims would stop the taker, such as a question passed on to the
  experts, are made whatever: a fence there would lose them.)
- A request resumed `MAX_ATTEMPTS` times (it keeps killing its process) is
  given up, with one error line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NoReturn

import structlog
from slack_bolt import App, BoltRequest
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import utcnow
from bot.metrics import Metrics
from bot.store.database import Store
from bot.store.outbox import LEASE, NewRequest
from bot.store.records import Pending

OUTBOX = "stpm_bot.outbox"  # in Bolt's context: the Outbox
REPLAY = "stpm_bot.replay"  # in Bolt's context: the outbox row being resumed
MAX_ATTEMPTS = 5
RESUME_EVERY = 5.0  # seconds between looks for rows of processes that died
RESUME_BATCH = 5  # rows taken per look: few, so shutdown never waits long
PARSED = "x-stpm-bot-parsed"  # header marking a Socket Mode body kept as JSON


class TakenOver(Exception):
    """The lease of the request being worked on ran out here and another
    process took it up: it is that process's to answer, not this one's."""


class NotAccepted(Exception):
    """The request was not recorded: Slack must retry it (HTTP 503)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def request_key(body: dict[str, Any], raw: str) -> str:
    """Slack re-sends an event with the same `event_id`; anything else is
    never re-sent, so its own bytes identify it."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    return "request:" + hashlib.sha256(raw.encode()).hexdigest()


class _Waiting:
    """One request in `GroupCommit`'s queue, and what became of it."""

    __slots__ = ("error", "lead", "request", "row", "woken")

    def __init__(self, request: NewRequest) -> None:
        self.request = request
        self.row: int | None = None
        self.error: BaseException | None = None
        self.lead = False  # woken to write the next transaction
        self.woken = threading.Event()


class GroupCommit:
    """Requests recorded together: one transaction for all that wait.

    A request that comes while no transaction is being written is written at
    once (`write`, e.g. `Store.enqueue_many`); those that come meanwhile
    wait, and when it is done the first of them writes them all in the next
    one. Under a burst this turns one commit (and, on SQLite, one turn on the
    store's write lock) per request into one per batch. Each thread is woken
    once, when its request is written or when it is its turn to write, so
    waiting threads don't contend for the interpreter. A failed transaction
    fails each request in it."""

    def __init__(self, write: Callable[[list[NewRequest]], list[int | None]]) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._writing = False

    def record(self, request: NewRequest) -> int | None:
        """Its row id, or None when its key is already queued; raises what
        the transaction raised."""
        me = _Waiting(request)
        with self._lock:
            self._queue.append(me)
            me.lead = not self._writing
            self._writing = True
        if not me.lead:
            me.woken.wait()
        if me.lead:
            self._write_next()
        if me.error is not None:
            raise me.error
        return me.row

    def _write_next(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            rows = self._write([w.request for w in batch])
            for waiting, row in zip(batch, rows, strict=True):
                waiting.row = row
        except BaseException as error:  # every request in it failed
            for waiting in batch:
                waiting.error = error
        finally:
            with self._lock:
                after = self._queue[0] if self._queue else None
                if after is None:
                    self._writing = False
                else:
                    after.lead = True
            for waiting in batch:
                waiting.lead = False
                waiting.woken.set()
            if after is not None:
                after.woken.set()


class Outbox:
    """The outbox as the listeners see it, with this process's lease owner."""

    def __init__(
        self,
        store: Store,
        metrics: Metrics,
        grace_seconds: float,
        lease_seconds: float = LEASE.total_seconds(),
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.metrics = metrics
        self.grace_seconds = grace_seconds
        self.owner = owner or uuid.uuid4().hex[:16]
        self._lock = threading.Lock()
        self._in_flight: set[int] = set()  # rows acked and not yet done
        self._waiting: dict[int, float] = {}  # rows not yet begun: when acked
        self._unfinished: list[int] = []  # done, but the delete failed
        self._resuming: set[int] = set()  # taken up from a dead process, not done
        # Rows being worked on: since when (monotonic) their lease is known
        # to run its full length (the last write of it that succeeded).
        self._held_at: dict[int, float] = {}
        self._recorder = GroupCommit(
            lambda batch: store.enqueue_many(batch, self.owner, self.lease)
        )

    # -- on the request's thread, before the ack ---------------------------

    def accept(self, request: BoltRequest) -> int | None:
        """Record `request`; its row id, or None when Slack re-sent a request
        already queued. Raises NotAccepted when Slack should retry later."""
        if self.waited_seconds() > self.grace_seconds:
            self._refuse("backlog")
        raw = request.raw_body
        headers = {k: list(v) for k, v in request.headers.items()}
        if not raw:  # Socket Mode: Bolt got the payload already parsed
            raw = json.dumps(request.body)
            headers = {PARSED: ["1"]}
        key = request_key(request.body, raw)
        leased = time.monotonic()
        try:
            row = self._recorder.record(NewRequest(key, raw, headers))
        except SQLAlchemyError as error:
            structlog.get_logger().warning("outbox.unavailable", error=str(error)[:200])
            self._refuse("store")
        if row is not None:
            with self._lock:
                self._in_flight.add(row)
                self._waiting[row] = time.monotonic()
                self._held_at[row] = leased
                self.metrics.outbox_in_flight.set(len(self._in_flight))
        return row

    def _refuse(self, reason: str) -> NoReturn:
        self.metrics.outbox_events.labels("refused").inc()
        raise NotAccepted(reason)

    def waited_seconds(self) -> float:
        """How long the oldest request this process acknowledged has waited
        for its work to begin: when that is past the grace period, the backlog
        can't be drained within it. (Work that has begun and is slow, say on
        a slow Slack, holds nothing else back.)"""
        with self._lock:
            if not self._waiting:
                return 0.0
            oldest = next(iter(self._waiting.values()))
        return time.monotonic() - oldest

    def begin(self, row: int) -> bool:
        """The work for `row` may start: False when another process has taken
        it up (see `holds`)."""
        with self._lock:
            self._waiting.pop(row, None)
        return self.holds(row)

    def holds(self, row: int) -> bool:
        """Whether `row` is still this process's to work on. Another process
        takes a row up only once its lease has run out, so while its last
        renewal is younger than half the lease it surely is. Older (the store
        was away for the renewals, or this process stalled), the lease is
        renewed first: the renewal and a take-over are each one conditional
        update, and only one of them wins. Lost, the row is left to the
        process that took it (see `let_go`). With the store away, the work
        goes ahead: the look before posting still keeps a reply from being
        posted twice."""
        with self._lock:
            since = self._held_at.get(row)
        asked = time.monotonic()
        if since is not None and asked - since < self.lease.total_seconds() / 2:
            return True
        try:
            held = row in self.store.renew(self.owner, [row], self.lease)
        except SQLAlchemyError as error:
            structlog.get_logger().warning(
                "outbox.renew_failed", outbox_row=row, error=str(error)[:200]
            )
            return True
        if held:
            with self._lock:
                if row in self._held_at:
                    self._held_at[row] = asked
            return True
        structlog.get_logger().warning("outbox.taken_over", outbox_row=row)
        self.metrics.outbox_events.labels("taken_over").inc()
        return False

    def let_go(self, row: int) -> None:
        """Another process took `row` up: forget it here without deleting it
        (it is that process's to finish, or to leave for the next one)."""
        with self._lock:
            self._waiting.pop(row, None)
            self._held_at.pop(row, None)
            self._in_flight.discard(row)
            self.metrics.outbox_in_flight.set(len(self._in_flight))

    def done(self, row: int) -> None:
        """The work for `row` is over (answered, or failed and apologised for)."""
        with self._lock:
            self._waiting.pop(row, None)
            self._held_at.pop(row, None)
            self._in_flight.discard(row)
            self.metrics.outbox_in_flight.set(len(self._in_flight))
        self._finish(row)

    def _finish(self, row: int) -> None:
        """Delete `row`, unless another process has taken it up since."""
        try:
            self.store.finish(row, self.owner)
        except SQLAlchemyError as error:  # kept leased; deleted on the next look
            structlog.get_logger().warning(
                "outbox.finish_failed", error=str(error)[:200]
            )
            with self._lock:
                self._unfinished.append(row)

    # -- the resumer ----------------------------------------------------------

    def resume(self, app: App, stop: threading.Event | None = None) -> int:
        """Handle the rows of processes that died, one at a time, until none
        is left or `stop`; how many were resumed. Rows are taken RESUME_BATCH
        at a time, so few are held when `stop` comes; those left undone then
        are not renewed, and whoever looks after their lease takes them up."""
        resumed = 0
        # This process's own rows first: after the store was away past a
        # lease, they must not look like a dead process's to its own look.
        self._renew()
        while not (stop is not None and stop.is_set()):
            leased = time.monotonic()
            taken = self.store.take_expired(self.owner, RESUME_BATCH, self.lease)
            if not taken:
                break
            resumed += self.resume_taken(app, taken, leased, stop)
        return resumed

    def resume_taken(
        self,
        app: App,
        taken: list[Pending],
        leased: float,
        stop: threading.Event | None = None,
    ) -> int:
        """Handle `taken`, rows this process took up (`Store.take_expired`)
        at `leased` (monotonic, before the take); how many were resumed."""
        with self._lock:
            self._resuming.update(p.id for p in taken)
            self._held_at.update((p.id, leased) for p in taken)
        try:
            return self._replay(app, taken, stop)
        finally:
            with self._lock:
                self._resuming.difference_update(p.id for p in taken)
                for pending in taken:
                    self._held_at.pop(pending.id, None)

    def _replay(
        self, app: App, taken: list[Pending], stop: threading.Event | None
    ) -> int:
        resumed = 0
        for pending in taken:
            if stop is not None and stop.is_set():
                break  # the rest wait, leased to this process, for the next one
            log = structlog.get_logger().bind(outbox_row=pending.id)
            if pending.attempts > MAX_ATTEMPTS:
                log.error("outbox.gave_up", attempts=pending.attempts - 1)
                self.metrics.outbox_events.labels("gave_up").inc()
                self.store.forget_requests([pending.id])
                continue
            log.info("outbox.resumed", attempts=pending.attempts)
            self.metrics.outbox_events.labels("resumed").inc()
            if PARSED in pending.headers:
                body: str | dict[str, Any] = json.loads(pending.body)
                headers: dict[str, list[str]] = {}
            else:
                body, headers = pending.body, pending.headers
            request = BoltRequest(
                body=body,
                headers=dict(headers),
                context={REPLAY: pending.id, OUTBOX: self},
                # Verified when it first came; a replay is past Slack's
                # five-minute window for signatures.
                mode="socket_mode",
            )
            try:
                app.dispatch(request)
            finally:
                self._finish(pending.id)
            resumed += 1
        return resumed

    def keep(self) -> None:
        """Renew the leases of the rows this process is on (acked and not
        done, or being taken up), delete rows whose delete failed before,
        and update the backlog gauges. A row this process holds but isn't on
        (its batch's commit reported a failure, so it was refused, though
        the row may have been written) is let run out and taken up."""
        with self._lock:
            unfinished, self._unfinished = self._unfinished, []
        if unfinished:
            try:
                self.store.forget_requests(unfinished, self.owner)
            except SQLAlchemyError:
                with self._lock:  # the next pass tries again
                    self._unfinished.extend(unfinished)
                raise
        self._renew()
        count, oldest = self.store.backlog()
        self.metrics.outbox_backlog.set(count)
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        self.metrics.outbox_oldest_seconds.set(max(0.0, age))

    def _renew(self) -> None:
        """Renew the leases of the rows this process is on."""
        with self._lock:
            on = self._in_flight | self._resuming
        renewing = time.monotonic()
        renewed = self.store.renew(self.owner, on, self.lease)
        with self._lock:
            for row in renewed & self._held_at.keys():
                self._held_at[row] = renewing

    def keep_leases(self, stop: threading.Event) -> None:
        """`keep` every third of the lease until `stop`, whatever else is slow."""
        self._every(self.keep, self.lease.total_seconds() / 3, stop)

    def resume_regularly(self, app: App, stop: threading.Event) -> None:
        """`resume` now and every RESUME_EVERY seconds until `stop`."""
        self._every(lambda: self.resume(app, stop), RESUME_EVERY, stop)

    @staticmethod
    def _every(
        task: Callable[[], object], seconds: float, stop: threading.Event
    ) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                task()
            except Exception as error:  # a bad pass must not end the loop
                structlog.get_logger().warning(
                    "outbox.pass_failed", error=f"{type(error).__name__}: {error}"[:200]
                )
            stop.wait(max(0.0, seconds - (time.monotonic() - started)))


_FENCE: ContextVar[Callable[[], bool] | None] = ContextVar(
    "stpm_bot_fence", default=None
)


@contextmanager
def fenced(outbox: Outbox, row: int) -> Iterator[None]:
    """Within, `check_fence` asks whether `row` is still this process's."""
    token = _FENCE.set(lambda: outbox.holds(row))
    try:
        yield
    finally:
        _FENCE.reset(token)


def check_fence() -> None:
    """Before a post that must not repeat: raise TakenOver when the request
    being worked on (within `fenced`) has been taken up by another process.
    Outside `fenced` (the terminal, a job), nothing to check."""
    fence = _FENCE.get()
    if fence is not None and not fence():
        raise TakenOver
