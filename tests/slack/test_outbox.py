"""Nothing acknowledged is lost, nothing is posted twice: the outbox and the
look-before-posting, with Slack resetting and hanging, the store away, and the
bot killed with SIGKILL while replies are in flight."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.request import BoltRequest
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError

from bot.slack.outbox import GroupCommit, Outbox, request_key
from bot.store.database import Store
from bot.store.engine import engine_for
from bot.store.outbox import NewRequest
from bot.store.records import Pending
from bot.store.schema import outbox
from tests.slack.conftest import RunningApp
from tests.support.fake_slack import FakeSlack
from tests.support.harness import envelope, mention, message
from tests.support.process import Bot, bot_env

QUESTION = "what does a senior tpm do?"


def _replies(fake: FakeSlack) -> Counter[str]:
    """How many answers each question's thread got."""
    return Counter(
        str(c.body.get("thread_ts") or c.body.get("channel"))
        for c in fake.delivered("chat.postMessage")
    )


@pytest.mark.parametrize("failure", ["reset", "cut"])
def test_a_reset_after_slack_posted_is_not_posted_again(
    slack: RunningApp, failure: str
) -> None:
    """Slack posts the answer, then the connection resets before its reply
    (or its reply stops half-way): the bot looks in the thread, finds its
    answer and posts nothing more, and apologises for nothing."""
    slack.fake.fail_next(
        "chat.postMessage",
        after_delivery=True,
        reset=failure == "reset",
        cut=failure == "cut",
    )
    event = mention(QUESTION)
    assert 200 == slack.send.event(envelope(event)).status
    slack.drain()
    assert {event["ts"]: 1} == _replies(slack.fake)
    looks = slack.fake.delivered("conversations.replies")
    assert [event["ts"]] == [c.body["ts"] for c in looks]
    assert [] == slack.fake.delivered("chat.postEphemeral")


@pytest.mark.parametrize("failure", ["reset", "cut"])
def test_a_reset_before_slack_posted_is_posted_once(
    slack: RunningApp, failure: str
) -> None:
    """The connection resets (or the answer stops half-way) and Slack never
    got the post: the bot looks, finds nothing, and posts the answer once."""
    slack.fake.fail_next(
        "chat.postMessage", reset=failure == "reset", cut=failure == "cut"
    )
    event = mention(QUESTION)
    assert 200 == slack.send.event(envelope(event)).status
    slack.drain()
    assert {event["ts"]: 1} == _replies(slack.fake)
    assert 1 == len(slack.fake.delivered("conversations.replies"))


def test_a_500_after_posting_in_a_dm_is_not_posted_again(slack: RunningApp) -> None:
    """Unthreaded (a DM): the look is conversations.history since the question."""
    slack.fake.fail_next("chat.postMessage", status=500, after_delivery=True)
    event = message(QUESTION)
    assert 200 == slack.send.event(envelope(event)).status
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    looks = slack.fake.delivered("conversations.history")
    assert [event["ts"]] == [c.body["oldest"] for c in looks]


def test_the_outbox_is_empty_once_every_reply_is_posted(slack: RunningApp) -> None:
    """Each request is kept until its work is done, then deleted."""
    for n in range(5):
        slack.send.event(envelope(mention(f"{QUESTION} {n}")))
    slack.drain()
    assert 5 == len(slack.fake.delivered("chat.postMessage"))
    assert (0, None) == slack.store.backlog()


def test_a_request_slack_resends_while_it_waits_is_worked_on_once(
    slack: RunningApp,
) -> None:
    """Slack re-sends an event (same event_id) while the first is in the
    outbox: 200, and one answer."""
    slack.fake.fail_next("chat.postMessage", after_delivery=True, delay=1.0)
    body = envelope(mention(QUESTION))
    assert 200 == slack.send.event(body).status
    assert 200 == slack.send.event(body, retry=1).status
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))


def test_with_the_store_away_slack_gets_503_and_its_retry_is_answered(
    slack: RunningApp,
) -> None:
    """The outbox can't be written: no 200 for work that could be lost, and
    no apology; Slack retries once the store is back and the question is
    answered once."""
    with slack.store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE outbox RENAME TO outbox_away"))
    body = envelope(mention(QUESTION))
    try:
        response = slack.send.event(body)
        assert 503 == response.status
    finally:
        with slack.store.engine.begin() as conn:
            conn.execute(text("ALTER TABLE outbox_away RENAME TO outbox"))
    assert 200 == slack.send.event(body, retry=1).status
    slack.drain()
    posted = slack.fake.delivered("chat.postMessage")
    assert 1 == len(posted)
    assert [] == slack.fake.delivered("chat.postEphemeral")  # no apology


def test_work_that_could_not_finish_in_the_grace_period_is_refused(
    start_app: Callable[..., RunningApp],
) -> None:
    """While the oldest acknowledged request has waited longer than the
    shutdown grace period for its work to begin (every listener thread busy
    on a slow Slack), a new request gets 503 (Slack retries it) and is
    counted; work that has begun, however slow, refuses nothing."""
    slack = start_app(shutdown_grace_seconds=0.2)
    threads = 8  # the test app's listener pool
    for _ in range(threads + 1):
        slack.fake.fail_next("chat.postMessage", after_delivery=True, delay=1.5)
    for n in range(threads):
        assert 200 == slack.send.event(envelope(mention(f"{QUESTION} {n}"))).status
    time.sleep(0.5)  # all eight are posting, slowly: nothing waits yet
    assert 200 == slack.send.event(envelope(mention("what skills matter?"))).status
    time.sleep(0.5)  # that one has waited for a thread past the grace period
    refused = slack.send.event(envelope(mention("how do stpms stay current?")))
    assert 503 == refused.status
    slack.drain()
    assert threads + 1 == len(slack.fake.delivered("chat.postMessage"))
    metrics = slack.core.metrics.exposition().decode()
    assert 'stpm_bot_outbox_total{event="refused"} 1.0' in metrics


def test_a_request_failing_again_and_again_is_given_up(
    slack: RunningApp, tmp_path: Path
) -> None:
    """A row resumed MAX_ATTEMPTS times is dropped with one error line."""
    raw = json.dumps(envelope(mention(QUESTION)))
    store = slack.store
    row = store.enqueue(request_key({}, raw), raw, {"x-stpm-bot-parsed": ["1"]}, "x")
    assert row is not None
    resumer = Outbox(store, slack.core.metrics, 25.0, lease_seconds=1)
    long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    with store.engine.begin() as conn:
        conn.execute(update(outbox).values(attempts=5, lease_until=long_ago))
    assert 0 == resumer.resume(slack.app)
    assert (0, None) == store.backlog()
    assert [] == slack.fake.delivered("chat.postMessage")


def test_replies_acked_before_a_sigkill_are_posted_after_the_restart(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """SIGKILL while five replies hang at Slack (two of them already posted):
    the restarted bot takes up the five, looks for each reply, and posts the
    three missing ones: every question answered once."""
    env = bot_env(
        fake_slack,
        tmp_path,
        STPM_BOT_OUTBOX_LEASE_SECONDS="1",
        STPM_BOT_LOG_LEVEL="INFO",
    )
    for n in range(5):
        delivered = n < 2
        fake_slack.fail_next("chat.postMessage", delay=60, after_delivery=delivered)
    events = [mention(f"{QUESTION} ({n})") for n in range(5)]
    first = Bot.start(env, tmp_path / "first.log")
    try:
        for event in events:
            assert 200 == first.send.event(envelope(event)).status
        fake_slack.wait_for(
            lambda calls: 5 == sum(c.method == "chat.postMessage" for c in calls),
            timeout=20,
        )
    finally:
        first.kill()
    assert 2 == len(fake_slack.delivered("chat.postMessage"))
    second = Bot.start(env, tmp_path / "second.log")
    try:
        fake_slack.wait_delivered("chat.postMessage", 5, timeout=30)
        time.sleep(1.0)  # nothing more comes
        assert 0 == second.terminate()
    finally:
        second.kill()
    assert {e["ts"]: 1 for e in events} == _replies(fake_slack)
    assert "outbox.resumed" in second.output()
    store = Store(engine_for(f"sqlite:///{tmp_path / 'stpm-bot.db'}"))
    assert (0, None) == store.backlog()


def test_one_look_takes_up_every_row_a_dead_process_left(slack: RunningApp) -> None:
    """Twelve requests of a process that died, more than one batch: one
    `resume` answers all twelve, once each, and empties the outbox."""
    events = [mention(f"{QUESTION} ({n})") for n in range(12)]
    for event in events:
        raw = json.dumps(envelope(event))
        key = request_key({}, raw)
        slack.store.enqueue(key, raw, {"x-stpm-bot-parsed": ["1"]}, "dead")
    long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    with slack.store.engine.begin() as conn:
        conn.execute(update(outbox).values(lease_until=long_ago))
    resumer = Outbox(slack.store, slack.core.metrics, 25.0, lease_seconds=30)
    assert 12 == resumer.resume(slack.app)
    assert {e["ts"]: 1 for e in events} == _replies(slack.fake)
    assert (0, None) == slack.store.backlog()


def test_a_row_the_live_process_is_not_on_runs_out_and_is_taken_up(
    slack: RunningApp,
) -> None:
    """A row written under this process's name that it isn't working on (its
    batch's commit was reported failed, so the request got 503 and Slack's
    retry was told it was queued) is not renewed: its lease runs out and it
    is answered once. A request it did accept keeps its lease."""
    live = Outbox(slack.store, slack.core.metrics, 25.0, lease_seconds=1)
    lost = mention(f"{QUESTION} (written, then refused)")
    raw = json.dumps(envelope(lost))
    slack.store.enqueue(
        request_key({}, raw), raw, {"x-stpm-bot-parsed": ["1"]}, live.owner, live.lease
    )
    accepted = BoltRequest(
        body=json.dumps(envelope(mention(f"{QUESTION} (kept)"))), mode="socket_mode"
    )
    row = live.accept(accepted)
    assert row is not None
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        live.keep()
        time.sleep(0.1)
    assert 1 == live.resume(slack.app)
    assert {lost["ts"]: 1} == _replies(slack.fake)
    assert 1 == slack.store.backlog()[0]  # the accepted one, still leased
    live.done(row)
    assert (0, None) == slack.store.backlog()


def test_requests_that_come_during_a_commit_share_the_next(tmp_path: Path) -> None:
    """While one request's transaction is written, four more come: they are
    written together in one more transaction, each gets its own row (a
    re-sent one None), and a transaction that fails fails each of its
    requests, and only those."""
    store = Store(engine_for(f"sqlite:///{tmp_path / 'bot.db'}"))
    store.create_schema()
    batches: list[list[str]] = []
    first_writing, release = threading.Event(), threading.Event()
    fail = False

    def write(batch: list[NewRequest]) -> list[int | None]:
        batches.append([r.key for r in batch])
        if len(batches) == 1:
            first_writing.set()
            release.wait(5)
        if fail:
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return store.enqueue_many(batch, "me")

    group = GroupCommit(write)
    rows: dict[str, int | Exception | None] = {}

    def record(key: str, label: str) -> None:
        try:
            rows[label] = group.record(NewRequest(key, "{}", {}))
        except OperationalError as error:
            rows[label] = error

    def start(key: str, label: str = "") -> threading.Thread:
        thread = threading.Thread(target=record, args=(key, label or key))
        thread.start()
        return thread

    threads = [start("event:Ev0")]
    first_writing.wait(5)
    threads += [start(f"event:Ev{n}") for n in (1, 2, 3)]
    threads.append(start("event:Ev0", "re-sent"))
    deadline = time.monotonic() + 5
    while len(group._queue) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)  # until all four wait for the first transaction
    release.set()
    for thread in threads:
        thread.join(5)
    assert [
        ["event:Ev0"],
        sorted(["event:Ev0", "event:Ev1", "event:Ev2", "event:Ev3"]),
    ] == [
        batches[0],
        sorted(batches[1]),
    ]
    ids = [rows[f"event:Ev{n}"] for n in range(4)]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 4
    assert rows["re-sent"] is None
    assert 4 == store.backlog()[0]

    fail = True
    threads = [start("event:Ev5")]
    for thread in threads:
        thread.join(5)
    assert isinstance(rows["event:Ev5"], OperationalError)
    fail = False
    threads = [start("event:Ev6")]
    for thread in threads:
        thread.join(5)
    assert isinstance(rows["event:Ev6"], int)
    store.close()


def test_work_whose_lease_ran_out_and_was_taken_up_is_left_to_the_taker(
    slack: RunningApp,
) -> None:
    """This process acks two requests, then their work waits past the lease
    (the store away for the renewals, the process stalled), and another
    process takes the first up. When the work begins here, the first is not
    this process's any more: it is not worked on, and its row is left for
    the taker (not deleted). The second, not taken up, is renewed when its
    work begins, so nobody can take it while it is worked on here."""
    stalled = Outbox(slack.store, slack.core.metrics, 25.0, lease_seconds=0.6)
    requests = [
        BoltRequest(
            body=json.dumps(envelope(mention(f"{QUESTION} ({n})"))), mode="socket_mode"
        )
        for n in range(2)
    ]
    first, second = (stalled.accept(r) for r in requests)
    assert first is not None and second is not None
    time.sleep(0.8)  # both leases run out; no renewal came
    taker = Outbox(slack.store, slack.core.metrics, 25.0, lease_seconds=30)
    assert [first] == [p.id for p in slack.store.take_expired(taker.owner, 1)]

    assert not stalled.begin(first)
    stalled.let_go(first)
    assert stalled.begin(second)
    assert [] == slack.store.take_expired(taker.owner)  # renewed: still ours
    stalled.done(second)
    assert 1 == slack.store.backlog()[0]  # the first, the taker's to finish
    assert 0 == stalled.waited_seconds()


def _accept(live: Outbox, question: str) -> int:
    """A mention of `question` recorded in `live`'s outbox: its row."""
    request = BoltRequest(
        body=json.dumps(envelope(mention(question))), mode="socket_mode"
    )
    row = live.accept(request)
    assert row is not None
    return row


def _taken_while_posting(
    slack: RunningApp, label: str
) -> tuple[dict[str, Any], Outbox, list[Pending], float]:
    """A mention sent to `slack` (whose lease is 1 s) whose first post is
    slow (a failure queued at the fake Slack): while it waits, its lease
    runs out and another process takes the row up; then the app's work is
    let finish. The event, the taker, the rows taken and when."""
    event = mention(f"{QUESTION} {label}")
    assert 200 == slack.send.event(envelope(event)).status
    time.sleep(1.2)  # the lease ran out during the slow post
    taker = Outbox(slack.store, slack.core.metrics, 25.0, lease_seconds=30)
    leased = time.monotonic()
    taken = slack.store.take_expired(taker.owner)
    assert 1 == len(taken)
    slack.drain()
    return event, taker, taken, leased


def test_work_that_outlives_its_lease_leaves_the_post_to_the_taker(
    start_app: Callable[..., RunningApp],
) -> None:
    """The first post of an answer hangs past the request's lease (no
    renewal comes: the store away for this process, say) and another
    process takes the row up meanwhile. Before posting again this process
    asks whether the row is still its own: it is not, so it posts nothing,
    apologises for nothing and leaves the row; the taker answers once."""
    slack = start_app(outbox_lease_seconds=1)
    slack.fake.fail_next("chat.postMessage", status=500, delay=1.6)
    event, taker, taken, leased = _taken_while_posting(slack, "(slow)")
    assert [] == slack.fake.delivered("chat.postMessage")
    assert 1 == slack.store.backlog()[0]  # not deleted: the taker's
    taken_over = slack.core.metrics.outbox_events.labels("taken_over")
    assert 1 == taken_over._value.get()
    assert 1 == taker.resume_taken(slack.app, taken, leased)
    assert {event["ts"]: 1} == _replies(slack.fake)
    assert (0, None) == slack.store.backlog()


def test_a_row_taken_over_while_it_is_replayed_is_not_deleted(
    slack: RunningApp,
) -> None:
    """A resumed request whose lease is taken by a third process before its
    reply is posted: the resumer posts nothing and leaves the row (deleting
    it would lose the request if the third process died)."""
    event = mention(f"{QUESTION} (resumed twice)")
    raw = json.dumps(envelope(event))
    slack.store.enqueue(request_key({}, raw), raw, {"x-stpm-bot-parsed": ["1"]}, "dead")
    long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    with slack.store.engine.begin() as conn:
        conn.execute(update(outbox).values(lease_until=long_ago))
    first = Outbox(slack.store, slack.core.metrics, 25.0, lease_seconds=1)
    leased = time.monotonic()
    taken = slack.store.take_expired(first.owner, lease=first.lease)
    time.sleep(0.6)  # past half the lease, with no renewal
    with slack.store.engine.begin() as conn:  # a third process took it since
        conn.execute(update(outbox).values(owner="third"))
    assert 1 == first.resume_taken(slack.app, taken, leased)
    assert [] == slack.fake.delivered("chat.postMessage")
    assert 1 == slack.store.backlog()[0]


def test_its_own_look_never_takes_up_rows_a_live_process_is_on(
    slack: RunningApp,
) -> None:
    """The store was away past the lease, so no renewal came: the rows this
    process is still working on look like a dead process's. Its own look
    renews them first and takes none of them up; nothing is posted twice."""
    live = Outbox(slack.store, slack.core.metrics, 25.0, lease_seconds=1)
    row = _accept(live, f"{QUESTION} (still mine)")
    time.sleep(1.2)  # the lease ran out
    assert 0 == live.resume(slack.app)
    assert [] == slack.fake.delivered("chat.postMessage")
    other = Outbox(slack.store, slack.core.metrics, 25.0, lease_seconds=30)
    assert [] == slack.store.take_expired(other.owner)  # renewed: still its own
    live.done(row)
    assert (0, None) == slack.store.backlog()


def test_a_delete_tried_again_spares_a_row_another_process_took(
    slack: RunningApp,
) -> None:
    """The delete of a finished row failed and is tried again at the next
    renewal; meanwhile another process took the row up (it may never have
    been posted): the row is left to that process."""
    live = Outbox(slack.store, slack.core.metrics, 25.0, lease_seconds=30)
    row = _accept(live, f"{QUESTION} (delete failed)")
    live.let_go(row)
    live._unfinished.append(row)  # as `_finish` leaves it when the store fails
    with slack.store.engine.begin() as conn:
        conn.execute(update(outbox).values(owner="taker"))
    live.keep()
    assert 1 == slack.store.backlog()[0]


def test_work_that_fails_after_its_row_was_taken_up_apologises_for_nothing(
    start_app: Callable[..., RunningApp],
) -> None:
    """The post fails for good, but only after the lease ran out and
    another process took the row: that process answers (it works on the
    request again), so this one says no sorry."""
    slack = start_app(outbox_lease_seconds=1)
    slack.fake.fail_next("chat.postMessage", error="channel_not_found", delay=1.6)
    event, taker, taken, leased = _taken_while_posting(slack, "(fails late)")
    assert [] == slack.fake.delivered("chat.postEphemeral")
    assert 1 == slack.store.backlog()[0]
    assert 1 == taker.resume_taken(slack.app, taken, leased)
    assert {event["ts"]: 1} == _replies(slack.fake)
    assert [] == slack.fake.delivered("chat.postEphemeral")
