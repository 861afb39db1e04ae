"""The store's questions for the experts and what curators taught, on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from bot.store.database import Store
from bot.store.engine import engine_for
from tests.support.clock import SettableNow


@pytest.fixture
def clock() -> SettableNow:
    return SettableNow(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))


@pytest.fixture
def store(database_url: str, clock: SettableNow) -> Iterator[Store]:
    store = Store(engine_for(database_url), now=clock)
    store.create_schema()
    yield store
    store.close()


def test_one_pending_question_per_person(store: Store) -> None:
    """A second question while one is pending is refused; once it is
    answered, the next one is taken."""
    first = store.ask_experts("q1", "U1", "C0EXP", channel="C1", thread_ts="1.1")
    assert first is not None and "pending" == first.status
    assert store.ask_experts("q2", "U1", "C0EXP") is None
    assert store.ask_experts("q3", "U2", "C0EXP") is not None
    assert first == store.pending_question_of("U1")
    assert store.mark_answered(first.id, "U0EXPERT") is not None
    assert store.ask_experts("q2", "U1", "C0EXP") is not None


def test_racing_askers_get_one_pending_question(store: Store) -> None:
    """Ten clicks at once by one person: exactly one question is pending."""
    results: list[bool] = []
    start = threading.Barrier(10)

    def ask(n: int) -> None:
        start.wait()
        results.append(store.ask_experts(f"q{n}", "U1", "C0EXP") is not None)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 == results.count(True)


def test_the_first_reply_is_claimed_once_and_answered_forgets_the_asker(
    store: Store,
) -> None:
    """Only the first reply wins; a released claim lets the next one win;
    answered once, with the asker's id gone from the row."""
    asked = store.ask_experts("q", "U1", "C0EXP")
    assert asked is not None
    store.posted_to_experts(asked.id, "1700.1")
    assert asked.id == getattr(store.expert_question_at("C0EXP", "1700.1"), "id", 0)
    assert store.claim_reply(asked.id, "first")
    assert not store.claim_reply(asked.id, "second")
    store.release_reply(asked.id)
    assert store.claim_reply(asked.id, "third")
    closed = store.mark_answered(asked.id, "U0EXPERT")
    assert closed is not None and "U1" == closed.asker
    assert store.mark_answered(asked.id, "U0OTHER") is None
    now = store.expert_question(asked.id)
    assert now is not None
    assert (None, "answered", "U0EXPERT", "third") == (
        now.asker,
        now.status,
        now.answered_by,
        now.reply,
    )
    assert not store.claim_reply(asked.id, "late")


def test_retention_deletes_questions_for_the_experts(
    store: Store, clock: SettableNow
) -> None:
    """Past the retention, the question and its asker are deleted."""
    asked = store.ask_experts("q", "U1", "C0EXP")
    assert asked is not None
    clock.now += dt.timedelta(days=91)
    assert store.forget_older_than(dt.timedelta(days=90)) >= 1
    assert store.expert_question(asked.id) is None
    assert store.pending_question_of("U1") is None


def test_taught_changes_are_pending_until_applied(
    store: Store, clock: SettableNow
) -> None:
    """Who taught what and when; applied once."""
    phrasing = store.teach("phrasing", "skill-cloud", "do i need aws", "U0CUR")
    entry = store.teach(
        "entry", "vpn-setup", "how do i set up vpn", "U0CUR", title="VPN", answer="A"
    )
    [first, second] = store.changes()
    assert (phrasing, "phrasing", "skill-cloud", "U0CUR", clock.now) == (
        first.id,
        first.kind,
        first.entry_id,
        first.taught_by,
        first.taught_at,
    )
    assert (entry, "VPN", "A") == (second.id, second.title, second.answer)
    assert store.mark_applied(phrasing)
    assert not store.mark_applied(phrasing)
    assert [entry] == [c.id for c in store.changes()]
    [applied] = store.changes("applied")
    assert clock.now == applied.applied_at


def test_a_change_is_claimed_by_one_run_until_its_claim_is_stale(
    store: Store, clock: SettableNow
) -> None:
    """Claimed by one `apply`: another is refused, the same claimer (a run
    of it that stopped) is not; after `stale_after` anyone may take it over;
    a claim given back is pending again, a claim finished is applied."""
    change = store.teach("phrasing", "skill-cloud", "do i need aws", "U0CUR")
    stale = dt.timedelta(minutes=10)
    assert store.claim_change(change, "aaaaaaa", stale)
    assert not store.claim_change(change, "bbbbbbb", stale)
    assert store.claim_change(change, "aaaaaaa", stale)
    assert [] == store.changes()
    assert [change] == [c.id for c in store.unapplied()]
    clock.now += dt.timedelta(minutes=11)
    assert store.claim_change(change, "bbbbbbb", stale)
    store.mark_pending(change)
    assert [change] == [c.id for c in store.changes()]
    assert store.claim_change(change, "ccccccc", stale)
    assert store.mark_applied(change)
    assert not store.claim_change(change, "ccccccc", stale)
    assert [] == store.unapplied()
