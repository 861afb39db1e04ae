"""The store: claims, answered threads and feedback, on SQLite."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.store import Store, engine_for, hash_user


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    store = Store(engine_for(f"sqlite:///{tmp_path / 'db' / 'bot.db'}"), now=clock)
    store.create_schema()
    yield store
    store.close()


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    """No STPM_BOT_DATABASE_URL: a SQLite file under data_dir, folder created."""
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", database_url=None)
    store = Store.from_settings(settings)
    store.create_schema()
    store.close()
    assert (tmp_path / "data" / "stpm-bot.db").is_file()


def test_a_key_can_be_claimed_once(store: Store) -> None:
    """The first claim wins; the same key again, alone or with others, loses."""
    assert store.claim(["event:Ev1", "msg:C1:1.1"])
    assert not store.claim(["event:Ev1"])
    assert not store.claim(["event:Ev2", "msg:C1:1.1"])
    assert store.claim(["event:Ev2"])  # the losing claim above left nothing behind


def test_racing_claims_have_exactly_one_winner(store: Store) -> None:
    """Twenty threads claiming the same event: exactly one gets it."""
    results: list[bool] = []
    start = threading.Barrier(20)

    def claim() -> None:
        start.wait()
        results.append(store.claim(["event:EvRace"]))

    threads = [threading.Thread(target=claim) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 == results.count(True)


def test_old_claims_are_pruned(store: Store, clock: Clock) -> None:
    """Claims older than Slack's retry window are forgotten."""
    store.claim(["event:old"])
    clock.now += dt.timedelta(days=3)
    store.claim(["event:new"])
    assert 1 == store.prune_events()
    assert store.claim(["event:old"])
    assert not store.claim(["event:new"])


def test_answered_threads_are_remembered(store: Store) -> None:
    """A thread the bot answered in is known; remembering twice is harmless."""
    store.remember_thread("C1", "1.1")
    store.remember_thread("C1", "1.1")
    assert store.answered_in("C1", "1.1")
    assert not store.answered_in("C1", "2.2")
    assert not store.answered_in("C2", "1.1")


def test_votes_store_a_hash_not_the_user(store: Store, clock: Clock) -> None:
    """A vote keeps question, entry, vote and time; the user only as a hash."""
    store.record_vote("is cloud important?", "skill-cloud", 1, "U123")
    [vote] = store.votes()
    assert ("is cloud important?", "skill-cloud", 1) == (
        vote.question,
        vote.entry_id,
        vote.vote,
    )
    assert hash_user("U123") == vote.user_hash != "U123"
    assert clock.now.replace(tzinfo=None) == vote.created_at.replace(tzinfo=None)


def test_the_latest_vote_of_a_person_wins(store: Store) -> None:
    """One vote per person, entry and question; others' votes are kept."""
    store.record_vote("q", "e", 1, "U1")
    store.record_vote("q", "e", -1, "U1")
    store.record_vote("q", "e", 1, "U2")
    assert [-1, 1] == [v.vote for v in store.votes()]


def test_in_memory_sqlite_is_shared_across_threads() -> None:
    """sqlite:// (memory) works from listener threads too."""
    store = Store(engine_for("sqlite://"))
    store.create_schema()
    thread = threading.Thread(target=store.remember_thread, args=("C1", "1.1"))
    thread.start()
    thread.join()
    assert store.answered_in("C1", "1.1")
