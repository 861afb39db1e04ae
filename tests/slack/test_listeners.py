"""AckFirst: during a burst of requests, work runs in one lane; otherwise freely."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from bot.slack.listeners import AckFirst

WAIT = 5.0


def _start_worker(
    gate: AckFirst, started: threading.Semaphore, release: threading.Event
) -> threading.Thread:
    def work() -> None:
        with gate.working():
            started.release()
            release.wait(WAIT)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # never leave a worker blocked


def test_without_a_burst_all_work_runs_at_once(release: threading.Event) -> None:
    """Ordinary traffic: three pieces of work run side by side."""
    gate, started = AckFirst(crowd=2, lanes=1), threading.Semaphore(0)
    for _ in range(3):
        _start_worker(gate, started, release)
    assert all(started.acquire(timeout=WAIT) for _ in range(3))


def test_during_a_burst_work_runs_in_one_lane(release: threading.Event) -> None:
    """With `crowd` requests being acked, a second piece of work waits its turn."""
    gate, started = AckFirst(crowd=2, lanes=1), threading.Semaphore(0)
    with ExitStack() as burst:
        burst.enter_context(gate.acknowledging())
        burst.enter_context(gate.acknowledging())
        _start_worker(gate, started, release)
        assert started.acquire(timeout=WAIT)
        _start_worker(gate, started, release)
        assert not started.acquire(timeout=0.2)  # held back while the lane is busy
    assert started.acquire(timeout=WAIT)  # the burst ended: it runs


def test_a_freed_lane_lets_the_next_work_in_during_a_burst() -> None:
    """Work always progresses: when the lane frees up, the next one runs."""
    gate, started = AckFirst(crowd=1, lanes=1), threading.Semaphore(0)
    first, second = threading.Event(), threading.Event()
    with gate.acknowledging():
        _start_worker(gate, started, first)
        assert started.acquire(timeout=WAIT)
        _start_worker(gate, started, second)
        assert not started.acquire(timeout=0.2)
        first.set()
        assert started.acquire(timeout=WAIT)
        second.set()


def test_a_running_bot_prunes_old_claims(tmp_path: Path) -> None:
    """Claims past Slack's retry window go while the bot runs, not only at start."""
    import datetime as dt

    from bot.slack.app import prune_regularly
    from bot.store.database import Store
    from bot.store.engine import engine_for
    from tests.support.clock import SettableNow

    clock = SettableNow(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    store = Store(engine_for(f"sqlite:///{tmp_path / 'bot.db'}"), now=clock)
    store.create_schema()
    store.claim(["event:old"])
    clock.now += dt.timedelta(days=3)
    stop = threading.Event()
    pruner = threading.Thread(
        target=prune_regularly, args=(store, stop, 0.05)
    )  # first prune at once
    pruner.start()
    try:
        deadline = time.monotonic() + 5
        while not store.claim(["event:old"]):  # free again once pruned
            assert time.monotonic() < deadline, "the old claim was never pruned"
            time.sleep(0.02)
    finally:
        stop.set()
        pruner.join()
        store.close()


def test_a_running_bot_forgets_old_side_panel_threads(tmp_path: Path) -> None:
    """Side-panel threads started longer ago than the retention go while
    the bot runs; a recent one stays."""
    import datetime as dt

    from bot.slack.app import prune_regularly
    from bot.store.database import Store
    from bot.store.engine import engine_for
    from tests.support.clock import SettableNow

    clock = SettableNow(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    store = Store(engine_for(f"sqlite:///{tmp_path / 'bot.db'}"), now=clock)
    store.create_schema()
    store.start_assistant_thread("D0DM0001", "1.1", "U1", {"channel_id": "C1"})
    clock.now += dt.timedelta(days=31)
    store.start_assistant_thread("D0DM0001", "2.2", "U1", {"channel_id": "C2"})
    stop = threading.Event()
    retention = dt.timedelta(days=30)
    pruner = threading.Thread(
        target=prune_regularly, args=(store, stop, 0.05, retention)
    )
    pruner.start()
    try:
        deadline = time.monotonic() + 5
        while store.is_assistant_thread("D0DM0001", "1.1"):
            assert time.monotonic() < deadline, "the old thread was never forgotten"
            time.sleep(0.02)
        assert store.is_assistant_thread("D0DM0001", "2.2")
    finally:
        stop.set()
        pruner.join()
        store.close()
