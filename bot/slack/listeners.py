"""How every feature hooks into Bolt: ack at once, work afterwards.

The app runs with `process_before_response=True`, so the listener Bolt calls
runs on the request's own thread: it acks, hands the work to the executor and
returns, and Slack gets its 200 without waiting for a free worker. (Bolt's lazy
listeners do the same but deep-copy every request first, which doubled the
ack path's CPU time under load.) Errors in the work go to the app's one
error handler, as errors in ordinary listeners do.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any

import structlog
from slack_bolt.kwargs_injection import Args

from bot.slack.errors import on_error
from bot.slack.outbox import OUTBOX, REPLAY, Outbox, TakenOver, fenced

Work = Callable[..., None]
REQUEST_ID = "stpm_bot.request_id"  # in the WSGI environ and Bolt's context
# Slack rarely has more than a few requests in flight to one app; four at once
# is a burst. Measured with bench/slack_load.py (README, "Slack load").
CROWD = 4
LANES = 1


class AckFirst:
    """During a burst of Slack requests, work runs in few lanes so acks come first.

    Slack retries an event, and shows the user an error for a command, when
    its 200 takes over 3 s; a reply that comes a moment later costs nothing.
    Request threads and listener threads share one GIL, so while `crowd` or
    more requests are being acknowledged at once, at most `lanes` pieces of
    work run and the acks get the interpreter. Below that (ordinary traffic)
    every worker runs. Work always makes progress.
    """

    def __init__(self, crowd: int = CROWD, lanes: int = LANES) -> None:
        self.crowd = crowd
        self.lanes = lanes
        self._acking = 0
        self._working = 0
        self._changed = threading.Condition()

    @contextmanager
    def acknowledging(self) -> Iterator[None]:
        with self._changed:
            self._acking += 1
        try:
            yield
        finally:
            with self._changed:
                self._acking -= 1
                if self._acking == self.crowd - 1:
                    self._changed.notify_all()  # the burst is over

    def _may_work(self) -> bool:
        return self._acking < self.crowd or self._working < self.lanes

    @contextmanager
    def working(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(self._may_work)
            self._working += 1
        try:
            yield
        finally:
            with self._changed:
                self._working -= 1
                self._changed.notify()  # a lane is free: one waiter may take it


def _run(
    work: Work,
    kwargs: dict[str, Any],
    args: Args,
    gate: AckFirst,
    outbox: Outbox | None = None,
    row: int | None = None,
    resumed: bool = False,
) -> None:
    """Do the work of outbox `row` (None: a request not recorded), fenced:
    its posts made with `post_reply(fenced=True)` ask first whether the row
    is still this process's, and a failure once the row was taken up is
    left to the taker. A row `resumed` is begun and finished by the resumer
    (`Outbox.resume`)."""
    mine = True
    try:
        with gate.working():
            if outbox is None or row is None:
                work(**kwargs)
                return
            if not resumed:
                mine = outbox.begin(row)
            if mine:
                with fenced(outbox, row):
                    work(**kwargs)
    except TakenOver:
        mine = False  # the process that took the row up answers it
    except Exception as error:
        if outbox is not None and row is not None and not outbox.holds(row):
            # Taken up meanwhile: the taker works on it again, and says
            # sorry itself if it must.
            mine = False
            structlog.get_logger().warning(
                "outbox.failed_after_take_over",
                outbox_row=row,
                error=type(error).__name__,
            )
        else:
            on_error(error, args.body, args.client, args.respond)
    finally:
        if outbox is not None and row is not None and not resumed:
            if mine:
                outbox.done(row)
            else:
                outbox.let_go(row)


def listen(
    register: Callable[..., Any], work: Work, executor: Executor, gate: AckFirst
) -> None:
    """Register `work` with e.g. `app.event("app_mention")`; Bolt's arguments
    are passed to it by name, as to any Bolt listener.

    With an outbox in Bolt's context (`bot.slack.outbox`, set by the app's
    middleware), the request is recorded before the ack and the record deleted
    after the work; a request resumed from the outbox is worked on at once, on
    the resumer's thread."""
    names = list(inspect.signature(work).parameters)

    def acknowledge(args: Args) -> None:
        kwargs = {n: getattr(args, n) for n in names}
        outbox: Outbox | None = args.context.get(OUTBOX)
        replayed: int | None = args.context.get(REPLAY)
        if replayed is not None:
            args.ack()  # nobody is waiting for this one
            _run(work, kwargs, args, gate, outbox, replayed, resumed=True)
            return
        row = outbox.accept(args.request) if outbox is not None else None
        args.ack()
        if outbox is not None and row is None:
            structlog.get_logger().info(
                "slack.duplicate", event_id=args.body.get("event_id")
            )
            return  # Slack re-sent a request that is already queued
        executor.submit(_run, work, kwargs, args, gate, outbox, row)

    acknowledge.__name__ = acknowledge.__qualname__ = getattr(work, "__name__", "work")
    register(acknowledge)
