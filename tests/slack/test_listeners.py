"""AckFirst: during a burst of requests, work runs in one lane; otherwise freely."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack

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
