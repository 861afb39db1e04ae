"""The store: claims, answered threads, feedback, tips and gaps, on SQLite."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.store.base import WriteTurns
from bot.store.database import Store
from bot.store.engine import engine_for, serialize
from bot.store.outbox import NewRequest
from bot.store.records import Candidate, Gap, PostedTip, Subscription
from bot.store.schema import PRUNE_LOCK
from tests.support.clock import SettableNow
from tests.support.paths import ROOT


@pytest.fixture
def clock() -> SettableNow:
    return SettableNow(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))


@pytest.fixture
def store(database_url: str, clock: SettableNow) -> Iterator[Store]:
    """A fresh store on SQLite, and again on PostgreSQL (see tests/conftest.py)."""
    store = Store(engine_for(database_url), now=clock)
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


def race(attempt: Callable[[], bool], threads: int = 20) -> list[bool]:
    """What `attempt` returned in each of `threads` threads started at once."""
    results: list[bool] = []
    start = threading.Barrier(threads)

    def run() -> None:
        start.wait()
        results.append(attempt())

    running = [threading.Thread(target=run) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    return results


def test_racing_claims_have_exactly_one_winner(store: Store) -> None:
    """Twenty threads claiming the same event: exactly one gets it."""
    results = race(lambda: store.claim(["event:EvRace"]))
    assert 1 == results.count(True)


def test_a_claim_is_renewed_only_once_it_is_old_enough(
    store: Store, clock: SettableNow
) -> None:
    """A claim taken again within its window loses; once older, the first of
    twenty racing threads renews it and the others lose."""
    within = dt.timedelta(seconds=10)
    assert store.claim_unless_recent("shown:U1::e", within)
    clock.now += dt.timedelta(seconds=5)
    assert not store.claim_unless_recent("shown:U1::e", within)
    clock.now += dt.timedelta(seconds=30)
    results = race(lambda: store.claim_unless_recent("shown:U1::e", within))
    assert 1 == results.count(True)
    assert not store.claim_unless_recent("shown:U1::e", within)


def test_old_claims_are_pruned(store: Store, clock: SettableNow) -> None:
    """Claims older than Slack's retry window are forgotten."""
    store.claim(["event:old"])
    clock.now += dt.timedelta(days=3)
    store.claim(["event:new"])
    assert 1 == store.prune_events()
    assert store.claim(["event:old"])
    assert not store.claim(["event:new"])


def test_claims_kept_for_good_are_never_pruned(
    store: Store, clock: SettableNow
) -> None:
    """A welcome is once per person ever, not per retry window."""
    store.claim(["keep:welcome:U1"])
    clock.now += dt.timedelta(days=400)
    store.prune_events()
    assert not store.claim(["keep:welcome:U1"])


def test_a_conversations_topic_is_kept_and_replaced(store: Store) -> None:
    """What a thread is about: the last entry, what was shown since, and who
    asked, known only as a hash; remembering again replaces it."""
    assert store.topic_of("C1", "1.1") is None
    store.remember_topic("C1", "1.1", "skill-cloud", "U1", ["skill-cloud"])
    topic = store.topic_of("C1", "1.1")
    assert topic is not None and ("skill-cloud", ("skill-cloud",)) == (
        topic.entry_id,
        topic.shown,
    )
    assert store.asked_by(topic, "U1") and not store.asked_by(topic, "U2")
    assert "U1" not in topic.asker_hash
    store.remember_topic(
        "C1", "1.1", "skill-cloud", "U1", ["skill-cloud", "technical-skills"]
    )
    again = store.topic_of("C1", "1.1")
    assert again is not None and ("skill-cloud", "technical-skills") == again.shown
    assert store.topic_of("C1", "") is None and store.topic_of("C2", "1.1") is None


def test_a_stopped_thread_stays_stopped_as_its_topic_moves_on(store: Store) -> None:
    """After *Stop answering here*, answering a mention there moves the topic
    on but makes nobody the asker again; other threads are untouched."""
    store.remember_topic("C1", "1.1", "skill-cloud", "U1")
    store.stop_thread("C1", "1.1")
    store.stop_thread("C1", "3.3")  # never answered before: stopped too
    store.remember_topic("C1", "1.1", "technical-skills", "U1", ["technical-skills"])
    store.remember_topic("C1", "2.2", "skill-cloud", "U1")
    stopped, other = store.topic_of("C1", "1.1"), store.topic_of("C1", "2.2")
    assert stopped is not None and other is not None
    assert "technical-skills" == stopped.entry_id
    assert not store.asked_by(stopped, "U1") and store.asked_by(other, "U1")
    fresh = store.topic_of("C1", "3.3")
    assert fresh is not None and not store.asked_by(fresh, "U1")


def test_tell_me_more_moves_on_only_from_what_it_read(store: Store) -> None:
    """Two "tell me more"s read the same topic: the first to record its next
    entry wins, the second must read again."""
    store.remember_topic("C1", "1.1", "skill-cloud", "U1", ["skill-cloud"])
    read = store.topic_of("C1", "1.1")
    assert read is not None
    assert store.advance_topic("C1", "1.1", read, [*read.shown, "technical-skills"])
    assert not store.advance_topic("C1", "1.1", read, [*read.shown, "technical-skills"])
    again = store.topic_of("C1", "1.1")
    assert again is not None and ("skill-cloud", "technical-skills") == again.shown


def test_conversations_quiet_longer_than_the_retention_are_forgotten(
    store: Store, clock: SettableNow
) -> None:
    """A thread last answered 91 days ago loses its topic (and who asked);
    one that went on 10 days ago (an old start, a recent answer) keeps it."""
    store.remember_topic("C1", "1.1", "skill-cloud", "U1")
    store.remember_topic("C1", "2.2", "skill-cloud", "U1")
    clock.now += dt.timedelta(days=81)
    store.remember_topic("C1", "2.2", "technical-skills", "U1")
    clock.now += dt.timedelta(days=10)
    assert 1 == store.forget_conversations(dt.timedelta(days=90))
    assert store.topic_of("C1", "1.1") is None
    kept = store.topic_of("C1", "2.2")
    assert kept is not None and "technical-skills" == kept.entry_id


def test_votes_store_a_hash_not_the_user(store: Store, clock: SettableNow) -> None:
    """A vote keeps question, entry, vote and time; the user only as a hash."""
    store.record_vote("is cloud important?", "skill-cloud", 1, "U123")
    [vote] = store.votes()
    assert ("is cloud important?", "skill-cloud", 1) == (
        vote.question,
        vote.entry_id,
        vote.vote,
    )
    assert store.user_hash("U123") == vote.user_hash != "U123"
    assert clock.now.replace(tzinfo=None) == vote.created_at.replace(tzinfo=None)


def test_the_latest_vote_of_a_person_wins(store: Store) -> None:
    """One vote per person, entry and question; others' votes are kept."""
    store.record_vote("q", "e", 1, "U1")
    store.record_vote("q", "e", -1, "U1")
    store.record_vote("q", "e", 1, "U2")
    assert [-1, 1] == [v.vote for v in store.votes()]


def test_racing_votes_of_one_person_keep_one(store: Store) -> None:
    """Twenty clicks by one person at once, 👍 and 👎: one vote stays, and a
    knowledge gap exactly when that vote is a 👎."""
    start = threading.Barrier(20)

    def vote(n: int) -> None:
        start.wait()
        store.record_vote("is cloud important", "skill-cloud", 1 - 2 * (n % 2), "U1")

    threads = [threading.Thread(target=vote, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    votes = store.votes()
    assert 1 == len(votes)
    assert (1 if votes[0].vote < 0 else 0) == len(store.gaps())


def test_in_memory_sqlite_is_shared_across_threads() -> None:
    """sqlite:// (memory) works from listener threads too."""
    store = Store(engine_for("sqlite://"))
    store.create_schema()
    thread = threading.Thread(
        target=store.remember_topic, args=("C1", "1.1", "skill-cloud", "U1")
    )
    thread.start()
    thread.join()
    assert store.topic_of("C1", "1.1") is not None


MONDAY = dt.date(2030, 1, 7)


def test_subscriptions_survive_a_restart(database_url: str) -> None:
    """Tips on, off and paused are kept in the database, not in the process."""
    url = database_url
    first = Store(engine_for(url))
    first.create_schema()
    first.subscribe("C1", dt.time(9, 30))
    first.subscribe("C2", dt.time(9, 0))
    first.subscribe("C3", dt.time(9, 0))
    first.unsubscribe("C2")
    first.pause("C3", "not_in_channel")
    first.close()
    again = Store(engine_for(url))
    assert [
        Subscription("C1", dt.time(9, 30)),
        Subscription("C2", dt.time(9, 0), active=False),
        Subscription("C3", dt.time(9, 0), paused_reason="not_in_channel"),
    ] == again.subscriptions()
    again.close()


def test_tips_on_again_clears_a_pause_and_changes_the_time(store: Store) -> None:
    """/stpm tips on after a pause: receiving again, at the new time."""
    store.subscribe("C1", dt.time(9, 0))
    store.pause("C1", "is_archived")
    store.subscribe("C1", dt.time(14, 15))
    assert Subscription("C1", dt.time(14, 15)) == store.subscription("C1")
    assert store.unsubscribe("C1")
    assert not store.unsubscribe("C1")


def test_seeding_keeps_what_a_channel_chose_in_slack(store: Store) -> None:
    """Configured channels are added once; a time set in Slack or `off` stays."""
    store.subscribe("C2", dt.time(16, 0))  # chosen in Slack
    store.seed_subscriptions(["C1", "C2"], dt.time(9, 0))
    store.unsubscribe("C1")
    store.seed_subscriptions(["C1", "C2", "C3"], dt.time(10, 0))
    assert [
        Subscription("C1", dt.time(9, 0), active=False),
        Subscription("C2", dt.time(16, 0)),
        Subscription("C3", dt.time(10, 0)),
    ] == store.subscriptions()


def test_a_channel_removed_from_the_setting_stops_unless_slack_chose_it(
    store: Store,
) -> None:
    """A channel subscribed by STPM_BOT_TIPS_CHANNELS alone and then removed
    from it is unsubscribed; one switched on from Slack stays."""
    store.seed_subscriptions(["C1", "C2", "C3"], dt.time(9, 0))
    store.subscribe("C3", dt.time(11, 0))  # someone chose it in Slack
    assert ["C1"] == store.seed_subscriptions(["C2"], dt.time(9, 0))
    assert [
        Subscription("C1", dt.time(9, 0), active=False),
        Subscription("C2", dt.time(9, 0)),
        Subscription("C3", dt.time(11, 0)),
    ] == store.subscriptions()
    assert [] == store.seed_subscriptions(["C2"], dt.time(9, 0))
    store.seed_subscriptions([], dt.time(9, 0))  # a process without the setting
    assert ["C2", "C3"] == [s.channel for s in store.subscriptions() if s.active]
    store.seed_subscriptions(["C1", "C2"], dt.time(9, 0))  # put back
    assert ["C1", "C2", "C3"] == [s.channel for s in store.subscriptions() if s.active]


def test_configured_time_changes_reach_untouched_seeded_channels(store: Store) -> None:
    """A new STPM_BOT_TIPS_TIME applies to channels nobody changed in Slack."""
    store.seed_subscriptions(["C1"], dt.time(9, 0))
    store.seed_subscriptions(["C1"], dt.time(8, 30))
    assert Subscription("C1", dt.time(8, 30)) == store.subscription("C1")


def test_a_channels_tip_for_a_date_is_claimed_once(store: Store) -> None:
    """The first claim of (channel, date) wins; other dates and channels are free."""
    assert store.claim_tip("C1", MONDAY, "tip-a")
    assert not store.claim_tip("C1", MONDAY, "tip-b")
    assert store.claim_tip("C2", MONDAY, "tip-a")
    assert store.claim_tip("C1", MONDAY + dt.timedelta(days=1), "tip-b")
    assert {("C1", MONDAY), ("C2", MONDAY)} == store.claimed_tips([MONDAY])


def test_only_an_unposted_claim_can_be_released(store: Store) -> None:
    """Releasing lets a retry claim again; a posted tip stays claimed."""
    store.claim_tip("C1", MONDAY, "tip-a")
    store.release_tip("C1", MONDAY)
    assert store.claim_tip("C1", MONDAY, "tip-a")
    store.mark_tip_posted("C1", MONDAY)
    store.release_tip("C1", MONDAY)
    assert not store.claim_tip("C1", MONDAY, "tip-b")
    assert [PostedTip("C1", MONDAY, "tip-a", True)] == store.posted_tips("C1")


def test_questions_are_counted_and_gaps_kept(store: Store, clock: SettableNow) -> None:
    """Every question counts; unconfident ones are kept with candidates, user hashed."""
    near = (Candidate("skill-cloud", 31.5), Candidate("role", 20.0))
    store.record_question("what is a tpm", "answered", (Candidate("role", 90),), "U1")
    store.record_question("cloud?", "suggested", near, "U1")
    store.record_question("wifi password", "no_match", (), None)
    assert {"answered": 1, "suggested": 1, "no_match": 1} == store.question_counts()
    assert [
        Gap(
            "cloud?", near, "skill-cloud", "suggested", store.user_hash("U1"), clock.now
        ),
        Gap("wifi password", (), None, "no_match", None, clock.now),
    ] == store.gaps()


def test_a_thumbs_down_is_a_gap_until_the_person_changes_their_mind(
    store: Store,
) -> None:
    """👎 records a gap with candidates; the same person's 👍 withdraws it."""
    near = (Candidate("skill-cloud", 80.0),)
    store.record_vote("is cloud important?", "skill-cloud", -1, "U1", near)
    [gap] = store.gaps()
    assert ("downvote", "skill-cloud", near) == (
        gap.source,
        gap.entry_id,
        gap.candidates,
    )
    store.record_vote("is cloud important?", "skill-cloud", 1, "U1")
    assert [] == store.gaps()


def test_counts_and_gaps_since_a_moment(store: Store, clock: SettableNow) -> None:
    """`since` leaves out what was recorded before it."""
    store.record_question("old", "no_match", ())
    clock.now += dt.timedelta(days=10)
    store.record_question("new", "no_match", ())
    since = clock.now - dt.timedelta(days=1)
    assert {"no_match": 1} == store.question_counts(since)
    assert ["new"] == [g.question for g in store.gaps(since)]


def test_feedback_from_two_processes_lands(database_url: str) -> None:
    """Two bot processes sharing one database: both votes are stored."""
    script = (
        "import sys; from bot.store.database import Store; "
        "from bot.store.engine import engine_for; "
        "s = Store(engine_for(sys.argv[1])); s.create_schema(); "
        "s.record_vote('how important is cloud', 'skill-cloud', 1, sys.argv[2])"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", script, database_url, user], cwd=ROOT)
        for user in ("U0ONE", "U0TWO")
    ]
    assert [0, 0] == [run.wait(timeout=60) for run in runs]
    store = Store(engine_for(database_url))
    assert [1, 1] == [v.vote for v in store.votes()]
    store.close()


def test_processes_starting_together_on_a_new_sqlite_file_all_start(
    tmp_path: Path,
) -> None:
    """Six processes creating the schema on one new SQLite file at once (a
    CLI, the server, `post-tips`...): every one of them starts and writes."""
    script = (
        "import sys; from bot.store.database import Store; "
        "from bot.store.engine import engine_for; "
        "s = Store(engine_for(sys.argv[1])); s.create_schema(); "
        "s.record_vote('q', 'skill-cloud', 1, sys.argv[2])"
    )
    for attempt in range(2):
        url = f"sqlite:///{tmp_path / f'race{attempt}.db'}"
        runs = [
            subprocess.Popen([sys.executable, "-c", script, url, f"U{n}"], cwd=ROOT)
            for n in range(6)
        ]
        assert [0] * 6 == [run.wait(timeout=60) for run in runs]
        store = Store(engine_for(url))
        assert 6 == len(store.votes())
        store.close()


def test_user_ids_are_hashed_with_a_key_of_this_deployment(
    database_url: str, clock: SettableNow
) -> None:
    """No constant salt: a key made once and kept in the store (shared by
    replicas on one database), or the one configured; never the bare id."""
    first = Store(engine_for(database_url), now=clock)
    first.create_schema()
    replica = Store(engine_for(database_url), now=clock)
    configured = Store(engine_for(database_url), salt="k" * 32, now=clock)
    try:
        assert first.user_hash("U123") == replica.user_hash("U123")
        assert first.user_hash("U123") != configured.user_hash("U123")
        assert "U123" not in first.user_hash("U123")
        elsewhere = Store(engine_for("sqlite://"), now=clock)
        elsewhere.create_schema()
        assert elsewhere.user_hash("U123") != first.user_hash("U123")
        elsewhere.close()
    finally:
        for store in (first, replica, configured):
            store.close()


def test_a_new_sqlite_store_is_private_to_the_bots_user(tmp_path: Path) -> None:
    """People's questions are in it: folder 0700, files 0600 (WAL files too)."""
    path = tmp_path / "data" / "bot.db"
    store = Store(engine_for(f"sqlite:///{path}"))
    store.create_schema()
    store.record_question("is cloud important", "answered", ())
    try:
        assert 0o700 == path.parent.stat().st_mode & 0o777
        for file in path.parent.iterdir():
            assert 0o600 == file.stat().st_mode & 0o777, file.name
    finally:
        store.close()


def test_what_people_typed_is_forgotten_after_the_retention(
    store: Store, clock: SettableNow
) -> None:
    """Unanswered questions, votes and 👎 reasons older than the retention go;
    newer ones and the question counts (no text) stay."""
    store.record_question("old question", "no_match", (), "U1")
    store.record_vote("old question", "skill-cloud", -1, "U1")
    store.record_reason("old question", "skill-cloud", "U1", "outdated", "old note")
    clock.now += dt.timedelta(days=100)
    store.record_question("new question", "no_match", (), "U1")
    assert 3 <= store.forget_older_than(dt.timedelta(days=90))
    assert ["new question"] == [g.question for g in store.gaps()]
    assert [] == store.votes() and [] == store.reasons()
    assert 2 == store.question_counts()["no_match"]


def test_replicas_pruning_at_once_each_delete_a_row_once(
    database_url: str, clock: SettableNow
) -> None:
    """Replicas started together prune the same old rows at once: none fails
    (on PostgreSQL their deletes deadlocked before they took turns), each row
    goes once, and what is recent stays."""
    seed = Store(engine_for(database_url), now=clock)
    seed.create_schema()
    for n in range(150):
        seed.record_question(f"old question {n}", "no_match", (), f"U{n}")
        seed.record_vote(f"old question {n}", "skill-cloud", -1, f"U{n}")
        seed.record_reason(f"old question {n}", "skill-cloud", f"U{n}", "outdated", "")
        seed.claim([f"event:old{n}"])
    clock.now += dt.timedelta(days=100)
    seed.record_question("new question", "no_match", (), "U1")
    seed.claim(["event:new"])
    replicas = [Store(engine_for(database_url), now=clock) for _ in range(6)]
    deleted: list[int] = []
    failed: list[BaseException] = []
    start = threading.Barrier(len(replicas))

    def prune(store: Store) -> None:
        start.wait()
        try:
            deleted.append(store.forget_older_than(dt.timedelta(days=90)))
            deleted.append(store.prune_events())
        except BaseException as error:  # counted below
            failed.append(error)

    running = [threading.Thread(target=prune, args=(r,)) for r in replicas]
    for t in running:
        t.start()
    for t in running:
        t.join()
    try:
        assert [] == failed
        # a question, a vote with its gap, a reason, and a claim each
        assert 5 * 150 == sum(deleted)
        assert ["new question"] == [g.question for g in seed.gaps()]
        assert not seed.claim(["event:new"]) and seed.claim(["event:old0"])
    finally:
        for store in (seed, *replicas):
            store.close()


def test_a_prune_waits_its_turn_on_postgresql(
    database_url: str, clock: SettableNow
) -> None:
    """While one replica's delete of old rows is under way, another's waits
    for it to commit instead of deleting the same rows beside it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writing transaction at a time by itself")
    first = Store(engine_for(database_url), now=clock)
    first.create_schema()
    first.claim(["event:old"])
    clock.now += dt.timedelta(days=3)
    second = Store(engine_for(database_url), now=clock)
    deleted: list[int] = []
    waiting = threading.Thread(target=lambda: deleted.append(second.prune_events()))
    try:
        with first.engine.begin() as conn:
            serialize(conn, PRUNE_LOCK)  # the first replica's turn
            waiting.start()
            waiting.join(timeout=1.0)
            assert waiting.is_alive() and [] == deleted
        waiting.join(timeout=10.0)
        assert [1] == deleted
    finally:
        waiting.join()
        first.close()
        second.close()


def test_outbox_rows_of_a_process_that_died_are_taken_once(database_url: str) -> None:
    """Two processes take expired outbox rows in turns, racing: each row goes
    to exactly one of them, and a row still leased to a live process to none."""
    first, second = Store(engine_for(database_url)), Store(engine_for(database_url))
    first.create_schema()
    try:
        for n in range(20):
            first.enqueue(f"event:Ev{n}", "{}", {}, "dead", dt.timedelta(seconds=-1))
        assert None is first.enqueue("event:Ev3", "{}", {}, "dead")  # re-sent
        first.enqueue("event:alive", "{}", {}, "alive", dt.timedelta(minutes=5))
        barrier = threading.Barrier(2)
        taken: dict[str, list[int]] = {"a": [], "b": []}

        def take(store: Store, owner: str) -> None:
            barrier.wait()
            for _ in range(3):
                taken[owner] += [p.id for p in store.take_expired(owner, limit=8)]

        threads = [
            threading.Thread(target=take, args=(first, "a")),
            threading.Thread(target=take, args=(second, "b")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ids = taken["a"] + taken["b"]
        assert 20 == len(ids) == len(set(ids))
        assert (21, first.backlog()[1]) == first.backlog()
        assert 0 == len(first.take_expired("c"))  # all leased again, to a or b
    finally:
        first.close()
        second.close()


def test_requests_recorded_together_get_their_own_rows(store: Store) -> None:
    """Several requests in one transaction: each new one gets its row, in
    order; a key already queued, or twice in the batch, gets None."""
    assert store.enqueue("event:Ev1", "{}", {}, "me") is not None
    ids = store.enqueue_many(
        [
            NewRequest("event:Ev2", '{"n": 2}', {"x": ["2"]}),
            NewRequest("event:Ev1", "{}", {}),  # queued before
            NewRequest("event:Ev3", '{"n": 3}', {}),
            NewRequest("event:Ev2", '{"n": 2}', {}),  # Slack's retry, same batch
        ],
        "me",
    )
    new, old, third, again = ids
    assert new is not None and third is not None and new < third
    assert old is None and again is None
    assert 3 == store.backlog()[0]


def test_an_urgent_writer_goes_before_those_waiting() -> None:
    """While one transaction is written, a writer that is not urgent waits,
    then an urgent one: the urgent one gets the next turn."""
    turns = WriteTurns()
    order: list[str] = []
    holding, waiting = threading.Event(), threading.Event()

    def write(name: str, urgent: bool) -> None:
        with turns.turn(urgent):
            order.append(name)

    def hold() -> None:
        with turns.turn(), turns.turn(urgent=True):  # re-entrant
            holding.set()
            waiting.wait(5)
            order.append("first")

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    later = threading.Thread(target=write, args=("reply", False))
    later.start()
    urgent = threading.Thread(target=write, args=("ack", True))
    urgent.start()
    deadline = time.monotonic() + 5
    while not turns._urgent and time.monotonic() < deadline:
        time.sleep(0.01)  # until the urgent writer waits: it goes first
    waiting.set()
    for thread in (holder, later, urgent):
        thread.join(5)
    assert ["first", "ack", "reply"] == order
