"""What every part of `Store` shares: the engine, the clock, the salt, and
short transactions on connections that survive a brief outage."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import structlog
from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from bot.clock import utcnow
from bot.store.engine import USER_SALT

CONNECT_ATTEMPTS = 3
CONNECT_BACKOFF_SECONDS = 0.2  # then 0.4: about half a second in all


class StoreBase:
    """The state and transactions each concern's mixin builds on."""

    def __init__(
        self,
        engine: Engine,
        salt: str = USER_SALT,
        now: Callable[[], dt.datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self._salt = salt
        self._now = now
        self._sleep = sleep

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
    def _begin(self) -> Iterator[Connection]:
        """One transaction, committed at the end unless it raised."""
        with self._connect() as conn, conn.begin():
            yield conn
