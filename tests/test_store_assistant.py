"""The store's side-panel threads and the most asked entries, on SQLite
(and PostgreSQL when one is given, see tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from bot.store.database import Store
from bot.store.engine import engine_for
from bot.store.records import Candidate
from tests.support.clock import SettableNow

CHANNEL, THREAD = "D0DM0001", "1700000000.000100"


@pytest.fixture
def clock() -> SettableNow:
    return SettableNow(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))


@pytest.fixture
def store(database_url: str, clock: SettableNow) -> Iterator[Store]:
    store = Store(engine_for(database_url), now=clock)
    store.create_schema()
    yield store
    store.close()


def test_a_started_thread_is_known_with_its_context(store: Store) -> None:
    """Started once (a retry changes nothing); its context is ids only."""
    assert not store.is_assistant_thread(CHANNEL, THREAD)
    store.start_assistant_thread(CHANNEL, THREAD, "U1", {"channel_id": "C1"})
    store.start_assistant_thread(CHANNEL, THREAD, "U1", {"channel_id": "C2"})
    assert store.is_assistant_thread(CHANNEL, THREAD)
    assert not store.is_assistant_thread(CHANNEL, "1700000000.000200")
    assert {"channel_id": "C1"} == store.assistant_context(CHANNEL, THREAD)


def test_threads_older_than_the_retention_are_forgotten(
    store: Store, clock: SettableNow
) -> None:
    """A thread started 91 days ago and quiet since goes, with its context;
    one started 89 days ago stays."""
    store.start_assistant_thread(CHANNEL, "1.1", "U1", {"channel_id": "C1"})
    clock.now += dt.timedelta(days=2)
    store.start_assistant_thread(CHANNEL, "2.2", "U1", {"channel_id": "C2"})
    clock.now += dt.timedelta(days=89)
    assert 1 == store.forget_assistant_threads(dt.timedelta(days=90))
    assert not store.is_assistant_thread(CHANNEL, "1.1")
    assert store.assistant_context(CHANNEL, "1.1") is None
    assert {"channel_id": "C2"} == store.assistant_context(CHANNEL, "2.2")


def test_a_thread_used_lately_is_kept_and_forgotten_once_quiet(
    store: Store, clock: SettableNow
) -> None:
    """Opened 100 days ago, but the bot answered in one 20 days ago and
    stored another's context then: both kept; 91 quiet days later, both go."""
    store.start_assistant_thread(CHANNEL, "1.1", "U1", {"channel_id": "C1"})
    store.start_assistant_thread(CHANNEL, "2.2", "U1", {"channel_id": "C1"})
    clock.now += dt.timedelta(days=80)
    store.use_assistant_thread(CHANNEL, "1.1")
    assert store.save_assistant_context(CHANNEL, "2.2", {"channel_id": "C2"})
    clock.now += dt.timedelta(days=20)
    assert 0 == store.forget_assistant_threads(dt.timedelta(days=90))
    assert store.is_assistant_thread(CHANNEL, "1.1")
    assert {"channel_id": "C2"} == store.assistant_context(CHANNEL, "2.2")
    clock.now += dt.timedelta(days=71)
    assert 2 == store.forget_assistant_threads(dt.timedelta(days=90))
    assert not store.is_assistant_thread(CHANNEL, "1.1")
    assert not store.is_assistant_thread(CHANNEL, "2.2")


def test_the_context_follows_the_person(store: Store) -> None:
    """A new context replaces the old; None values (no enterprise) are dropped;
    an unknown thread is not invented."""
    store.start_assistant_thread(CHANNEL, THREAD, "U1", {"channel_id": "C1"})
    moved = {"channel_id": "C2", "team_id": "T1", "enterprise_id": None}
    assert store.save_assistant_context(CHANNEL, THREAD, moved)
    assert {"channel_id": "C2", "team_id": "T1"} == store.assistant_context(
        CHANNEL, THREAD
    )
    assert not store.save_assistant_context(CHANNEL, "9.9", moved)
    assert store.assistant_context(CHANNEL, "9.9") is None


def test_a_thread_is_titled_once_even_by_racing_replicas(store: Store) -> None:
    """Eight at once: one wins; after a release the next may title it."""
    store.start_assistant_thread(CHANNEL, THREAD, "U1", {})
    wins: list[bool] = []
    threads = [
        threading.Thread(target=lambda: wins.append(store.claim_title(CHANNEL, THREAD)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [True] == [w for w in wins if w]
    store.release_title(CHANNEL, THREAD)
    assert store.claim_title(CHANNEL, THREAD)
    assert not store.claim_title(CHANNEL, "9.9")  # not a panel thread


def test_popular_entries_are_the_most_answered_lately(
    store: Store, clock: SettableNow
) -> None:
    """Answered questions only, most first, ties by id, `since` respected."""
    for entry, times in (("old", 5), ("cloud", 3), ("zz", 2), ("ai", 2)):
        for _ in range(times):
            store.record_question("q", "answered", [Candidate(entry, 1.0)])
        if entry == "old":
            clock.now += dt.timedelta(days=40)
    store.record_question("q", "no_match", [Candidate("gap", 0.1)])
    store.record_question("q", "no_match", [Candidate("gap", 0.1)])
    store.record_question("q", "no_match", [Candidate("gap", 0.1)])
    since = clock() - dt.timedelta(days=30)
    assert ["cloud", "ai", "zz"] == store.popular_entries(8, since)
    assert ["old", "cloud"] == store.popular_entries(2)
