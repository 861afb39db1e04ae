"""What every part of `Store` shares: the engine, the clock, the salt, and
short transactions on connections that survive a brief outage."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import structlog
from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.clock import utcnow
from bot.store.engine import hash_user
from bot.store.schema import store_meta

HASH_KEY = "user_hash_key"

CONNECT_ATTEMPTS = 3
CONNECT_BACKOFF_SECONDS = 0.2  # then 0.4: about half a second in all


class WriteTurns:
    """Turns on SQLite's one writer, re-entrant, where an urgent writer (a
    request Slack waits on) goes before every writer that is not.

    Urgent writers are few at a time (the outbox records requests in
    batches), so the others still get turns between them."""

    def __init__(self) -> None:
        lock = threading.Lock()
        self._lock = lock
        # One waiter is woken per turn, urgent ones first: waking them all
        # would have every waiting thread contend for the interpreter.
        self._urgent_turn = threading.Condition(lock)
        self._turn = threading.Condition(lock)
        self._holder: int | None = None
        self._depth = 0
        self._urgent = 0  # urgent writers waiting

    @contextmanager
    def turn(self, urgent: bool = False) -> Iterator[None]:
        me = threading.get_ident()
        with self._lock:
            if self._holder == me:
                self._depth += 1
            elif urgent:
                self._urgent += 1
                try:
                    self._urgent_turn.wait_for(lambda: self._holder is None)
                finally:
                    self._urgent -= 1
                self._holder, self._depth = me, 1
            else:
                self._turn.wait_for(lambda: self._holder is None and not self._urgent)
                self._holder, self._depth = me, 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if not self._depth:
                    self._holder = None
                    (self._urgent_turn if self._urgent else self._turn).notify()


class StoreBase:
    """The state and transactions each concern's mixin builds on."""

    def __init__(
        self,
        engine: Engine,
        salt: str | None = None,
        now: Callable[[], dt.datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self._given_key = salt
        self._key: str | None = salt
        self._key_lock = threading.Lock()
        self._now = now
        self._sleep = sleep
        self._writer = WriteTurns()

    @property
    def _salt(self) -> str:
        """The key user ids are hashed with: the one given
        (`STPM_BOT_USER_HASH_KEY`), or one made at random the first time and
        kept in the store, so every replica on this database shares it."""
        if self._key is None:
            with self._key_lock:
                if self._key is None:
                    self._key = self._stored_key()
        return self._key

    def _stored_key(self) -> str:
        query = select(store_meta.c.value).where(store_meta.c.name == HASH_KEY)
        with self._connect() as conn:
            found = conn.execute(query).scalar()
        if found:
            return str(found)
        made = secrets.token_hex(32)
        try:
            with self._begin() as conn:
                conn.execute(insert(store_meta), {"name": HASH_KEY, "value": made})
        except IntegrityError:  # another replica made one first: use theirs
            with self._connect() as conn:
                return str(conn.execute(query).scalar())
        return made

    def user_hash(self, user_id: str) -> str:
        """How `user_id` is kept in this store."""
        return hash_user(user_id, self._salt)

    def _connect(self) -> Connection:
        """A connection, retried a few times if the database is briefly away
        (a failover, a restart). Only connecting is retried: nothing has been
        sent yet, so a retry can't run a statement twice."""
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            try:
                return self.engine.connect()
            except OperationalError as error:
                if attempt == CONNECT_ATTEMPTS:
                    raise
                structlog.get_logger().warning(
                    "store.connect_retry", attempt=attempt, error=str(error.orig)[:200]
                )
                self._sleep(CONNECT_BACKOFF_SECONDS * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    @contextmanager
    def _begin(self, urgent: bool = False) -> Iterator[Connection]:
        """One transaction, committed at the end unless it raised.

        On SQLite, this process's transactions take turns on a lock first:
        SQLite admits one writer at a time and makes the others poll with
        growing sleeps, which under a burst of threads turned a 0.2 ms insert
        into an 80 ms wait at the 99th percentile."""
        turn = (
            self._writer.turn(urgent)
            if self.engine.dialect.name == "sqlite"
            else contextlib.nullcontext()
        )
        with turn, self._connect() as conn, conn.begin():
            yield conn
