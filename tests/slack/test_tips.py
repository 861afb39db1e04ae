"""Daily tips posted to the fake Slack over HTTP, with a fake clock.

Thirty simulated days, weekends included, with two posters sharing one SQLite
file, a crash in the middle of a posting run, downtime, a channel that stops
its tips and one the bot was removed from.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse
from sqlalchemy import update

from bot.answers.schedule import Policy, tip_order
from bot.clock import Clock
from bot.compose import Core
from bot.slack import blocks
from bot.slack.client import web_client
from bot.slack.tip_poster import Scheduler, TipPoster
from bot.store.database import Store
from bot.store.engine import engine_for
from bot.store.schema import posted_tips
from tests.slack.conftest import RunningApp
from tests.support.fake_slack import Call, FakeSlack, dm_of, full_backlog
from tests.support.harness import block_action

START = dt.date(2030, 1, 7)  # a Monday
DAYS = 30
TICK = dt.timedelta(minutes=30)
POLICY = Policy(grace=dt.timedelta(minutes=120))


class Crash(BaseException):
    """The process dies (not an error anything in the bot may catch)."""


class DiesAfterPosting(WebClient):
    """A client whose process dies right after Slack accepted its Nth post."""

    def __init__(self, base: WebClient, after: int) -> None:
        super().__init__(token=base.token, base_url=base.base_url)
        self.after = after

    def chat_postMessage(self, **kwargs: Any) -> SlackResponse:
        response = super().chat_postMessage(**kwargs)
        self.after -= 1
        if self.after == 0:
            raise Crash
        return response


@pytest.fixture
def db_url(database_url: str) -> str:
    """One database the posters share: a SQLite file, then a real PostgreSQL."""
    return database_url


@pytest.fixture
def stores(db_url: str) -> Iterator[list[Store]]:
    opened: list[Store] = []
    yield opened
    for store in opened:
        store.close()


def open_store(url: str, opened: list[Store]) -> Store:
    store = Store(engine_for(url))
    store.create_schema()
    opened.append(store)
    return store


def posts_to(fake: FakeSlack, channel: str) -> list[Call]:
    return [
        c for c in fake.delivered("chat.postMessage") if c.body["channel"] == channel
    ]


def tip_ids(slack_core: Core, calls: list[Call]) -> list[str]:
    """Which tip each message shows, by its notification text."""
    knowledge = slack_core.library.snapshot().knowledge
    by_text = {blocks.daily_tip(t, knowledge).text: t.id for t in knowledge.tips}
    return [by_text[c.body["text"]] for c in calls]


def poster_for(core: Core, store: Store, client: WebClient) -> TipPoster:
    """The tip poster the app builds, over the suite's knowledge."""
    return TipPoster(core.library, store, client, POLICY, core.metrics)


def weekdays(
    first: dt.date, last: dt.date, skip: AbstractSet[dt.date] = frozenset()
) -> list[dt.date]:
    days = (first + dt.timedelta(n) for n in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5 and d not in skip]


def rotation(slack_core: Core, n: int) -> list[str]:
    order = [t.id for t in tip_order(slack_core.library.snapshot().knowledge)]
    return [order[i % len(order)] for i in range(n)]


def test_thirty_days_of_tips_with_two_posters_a_crash_and_downtime(
    fake_slack: FakeSlack, slack_core: Core, db_url: str, stores: list[Store]
) -> None:
    """Each channel gets one tip on each day it should, none twice, in rotation."""
    client = web_client(slack_core.settings)
    a_store, b_store = open_store(db_url, stores), open_store(db_url, stores)
    for channel, at in (
        ("C1", "09:00"),
        ("C2", "10:30"),
        ("C3", "09:00"),
        ("C4", "09:00"),
    ):
        a_store.subscribe(channel, dt.time.fromisoformat(at))
    crash_day = START + dt.timedelta(days=2)  # Wednesday: crash after the first post
    down_day = START + dt.timedelta(days=7)  # next Monday: down 08:00 to 12:00
    unsub_day = START + dt.timedelta(days=9)
    removed_day = START + dt.timedelta(days=4)
    a = poster_for(slack_core, a_store, client)
    b = poster_for(slack_core, b_store, client)
    now = dt.datetime.combine(START, dt.time(), tzinfo=dt.UTC)
    for _ in range(DAYS * 24 * 2):
        today = now.date()
        if today == unsub_day and now.hour == 8 and now.minute == 0:
            b_store.unsubscribe("C3")
        if today == removed_day and now.hour == 0 and now.minute == 0:
            fake_slack.fail_channel("C4", "not_in_channel")
        down = today == down_day and 8 <= now.hour < 12
        if today == crash_day and now.hour == 9 and now.minute == 0:
            dying = poster_for(slack_core, a_store, DiesAfterPosting(client, 1))
            with pytest.raises(Crash):
                dying.post_due(now)
            a = poster_for(slack_core, open_store(db_url, stores), client)
        if not down:
            a.post_due(now)
            b.post_due(now)
        now += TICK

    last = START + dt.timedelta(days=DAYS - 1)
    expected = {
        "C1": weekdays(START, last, skip={down_day}),  # 09:00 + 2 h < 12:00
        "C2": weekdays(START, last),  # 10:30 + 2 h > 12:00: posted late
        "C3": weekdays(START, unsub_day - dt.timedelta(days=1), skip={down_day}),
        "C4": weekdays(START, removed_day - dt.timedelta(days=1)),
    }
    for channel, days in expected.items():
        calls = posts_to(fake_slack, channel)
        assert len(days) == len(calls), channel
        assert rotation(slack_core, len(days)) == tip_ids(slack_core, calls), channel
        assert days == [p.date for p in a_store.posted_tips(channel)], channel
    refused = [c for c in fake_slack.calls if c.body.get("_failed") == "not_in_channel"]
    assert 1 == len(refused)  # paused at once, never retried
    paused = a_store.subscription("C4")
    assert paused is not None
    assert "not_in_channel" == paused.paused_reason


def test_two_posters_racing_on_the_same_date_post_once(
    fake_slack: FakeSlack, slack_core: Core, db_url: str, stores: list[Store]
) -> None:
    """Eight threads, each with its own store on one file: one tip per channel."""
    first = open_store(db_url, stores)
    for channel in ("C1", "C2", "C3"):
        first.subscribe(channel, dt.time(9, 0))
    posters = [
        poster_for(
            slack_core, open_store(db_url, stores), web_client(slack_core.settings)
        )
        for _ in range(8)
    ]
    start = threading.Barrier(len(posters))

    def run(poster: TipPoster) -> None:
        start.wait()
        poster.post_date(START)

    threads = [threading.Thread(target=run, args=(p,)) for p in posters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = Counter(
        c.body["channel"] for c in fake_slack.delivered("chat.postMessage")
    )
    assert {"C1": 1, "C2": 1, "C3": 1} == counts


def test_a_rate_limited_tip_is_retried_at_the_next_look(
    fake_slack: FakeSlack, slack_core: Core, db_url: str, stores: list[Store]
) -> None:
    """Slack said `ratelimited` (nothing posted): the next look posts it."""
    store = open_store(db_url, stores)
    store.subscribe("C1", dt.time(9, 0))
    for _ in range(3):  # the client's own retries of the 429, then the refusal
        fake_slack.fail_next("chat.postMessage", status=429, retry_after=0)
    poster = poster_for(slack_core, store, web_client(slack_core.settings))
    nine = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)
    assert ["retry"] == [p.outcome for p in poster.post_due(nine)]
    assert ["posted"] == [p.outcome for p in poster.post_due(nine + TICK)]
    assert 1 == len(posts_to(fake_slack, "C1"))


def test_a_long_rate_limit_is_not_waited_out_while_the_claim_is_held(
    fake_slack: FakeSlack, slack_core: Core, db_url: str, stores: list[Store]
) -> None:
    """Slack asks the tip to wait 70 s: waiting twice would hold the claim
    past the two minutes after which another process takes it over and
    posts too. The post is refused for now at once, and the claim released."""
    store = open_store(db_url, stores)
    store.subscribe("C1", dt.time(9, 0))
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=70)
    client = web_client(slack_core.settings, tips=True)
    poster = poster_for(slack_core, store, client)
    started = time.monotonic()
    assert ["retry"] == [p.outcome for p in poster.post_due(NINE)]
    assert time.monotonic() - started < 10
    assert ["posted"] == [p.outcome for p in poster.post_due(NINE + TICK)]
    assert 1 == len(posts_to(fake_slack, "C1"))


def _poster(
    slack_core: Core, db_url: str, stores: list[Store], channel: str = "C1"
) -> tuple[TipPoster, Store]:
    store = open_store(db_url, stores)
    store.subscribe(channel, dt.time(9, 0))
    client = web_client(slack_core.settings, tips=True)
    return poster_for(slack_core, store, client), store


NINE = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "failure",
    [
        {"error": "fatal_error"},
        {"status": 500, "error": "internal_error"},
        {"reset": True},
    ],
    ids=["fatal_error", "500", "reset"],
)
def test_a_tip_slack_posted_despite_the_error_is_found_not_posted_again(
    fake_slack: FakeSlack,
    slack_core: Core,
    db_url: str,
    stores: list[Store],
    failure: dict[str, Any],
) -> None:
    """The answer says failure but Slack posted: the poster finds the tip in
    the channel by its metadata, reports it posted and never posts it again."""
    poster, _ = _poster(slack_core, db_url, stores)
    fake_slack.fail_next("chat.postMessage", after_delivery=True, **failure)
    assert ["posted"] == [p.outcome for p in poster.post_due(NINE)]
    assert ["already_posted"] == [p.outcome for p in poster.post_due(NINE + TICK)]
    assert 1 == len(posts_to(fake_slack, "C1"))
    assert 1 == len(fake_slack.delivered("conversations.history"))


@pytest.mark.parametrize(
    "failure",
    [
        {"error": "fatal_error"},
        {"status": 500, "error": "internal_error"},
        {"reset": True},
    ],
    ids=["fatal_error", "500", "reset"],
)
def test_a_tip_slack_did_not_post_is_released_and_posted_at_the_next_look(
    fake_slack: FakeSlack,
    slack_core: Core,
    db_url: str,
    stores: list[Store],
    failure: dict[str, Any],
) -> None:
    """The same errors with nothing posted: the look finds nothing, the claim
    is released, the next look posts it once. The client itself never resent."""
    poster, _ = _poster(slack_core, db_url, stores)
    fake_slack.fail_next("chat.postMessage", **failure)
    assert ["retry"] == [p.outcome for p in poster.post_due(NINE)]
    attempts = [c for c in fake_slack.calls if c.method == "chat.postMessage"]
    assert 1 == len(attempts)
    assert ["posted"] == [p.outcome for p in poster.post_due(NINE + TICK)]
    assert 1 == len(posts_to(fake_slack, "C1"))


def test_a_tip_whose_connection_timed_out_is_released_and_posted_next_time(
    fake_slack: FakeSlack, slack_core: Core, db_url: str, stores: list[Store]
) -> None:
    """Slack didn't take the connection in time: the post never left, so the
    claim is let go without a look (`retry`, not `unknown`) and the next
    look, with Slack back, posts the tip once."""
    store = open_store(db_url, stores)
    store.subscribe("C1", dt.time(9, 0))
    with full_backlog() as busy:
        settings = slack_core.settings.model_copy(update={"slack_api_base_url": busy})
        client = web_client(settings, tips=True)
        client.timeout = 1
        first = poster_for(slack_core, store, client).post_due(NINE)
    assert ["retry"] == [p.outcome for p in first]
    assert [] == fake_slack.calls
    back = poster_for(slack_core, store, web_client(slack_core.settings, tips=True))
    assert ["posted"] == [p.outcome for p in back.post_due(NINE + TICK)]
    assert 1 == len(posts_to(fake_slack, "C1"))


@pytest.mark.parametrize(
    ("channel", "failing"),
    [
        ("C1", "conversations.history"),
        ("U0PERSON1", "conversations.history"),
        ("U0PERSON1", "conversations.open"),
    ],
    ids=["channel", "person", "person-open"],
)
def test_when_the_look_fails_too_the_tip_is_unknown_and_never_doubled(
    fake_slack: FakeSlack,
    slack_core: Core,
    db_url: str,
    stores: list[Store],
    channel: str,
    failing: str,
) -> None:
    """Slack's answer is lost and the look fails (Slack answers 500 to the
    history, or to opening a person's DM): `unknown`, the claim stays
    (nothing posted twice). Once the claim is stale, a later look that works
    finds the tip and confirms it, in a channel or a person's DM alike."""
    clock = [dt.datetime.now(dt.UTC)]
    store = Store(engine_for(db_url), now=lambda: clock[0])
    store.create_schema()
    stores.append(store)
    store.subscribe(channel, dt.time(9, 0))
    client = web_client(slack_core.settings, tips=True)
    poster = poster_for(slack_core, store, client)
    fake_slack.fail_next("chat.postMessage", reset=True, after_delivery=True)
    fake_slack.fail_next(failing, status=500, error="internal_error")
    assert ["unknown"] == [p.outcome for p in poster.post_due(NINE)]
    assert ["taken"] == [p.outcome for p in poster.post_due(NINE + TICK)]
    clock[0] += dt.timedelta(minutes=5)
    assert ["already_posted"] == [p.outcome for p in poster.post_due(NINE + 2 * TICK)]
    assert ["already_posted"] == [p.outcome for p in poster.post_due(NINE + 3 * TICK)]
    assert 1 == len(posts_to(fake_slack, channel))


@pytest.mark.parametrize("earlier_version", [False, True], ids=["new", "old-row"])
def test_a_tip_looked_for_after_failed_looks_is_found_from_its_first_claim(
    fake_slack: FakeSlack,
    slack_core: Core,
    db_url: str,
    stores: list[Store],
    earlier_version: bool,
) -> None:
    """Slack posted the tip but its answer was lost, and the look failed, at
    the post and again when the stale claim was taken over: the next look
    still starts from the first claim, finds the tip, and posts nothing;
    also for a claim an earlier version wrote (no first claim kept: the
    first takeover keeps the claim it took over)."""
    clock = [dt.datetime.now(dt.UTC)]
    store = Store(engine_for(db_url), now=lambda: clock[0])
    store.create_schema()
    stores.append(store)
    store.subscribe("C1", dt.time(9, 0))
    client = web_client(slack_core.settings, tips=True)
    poster = poster_for(slack_core, store, client)
    fake_slack.fail_next("chat.postMessage", reset=True, after_delivery=True)
    fake_slack.fail_next("conversations.history", status=500, error="internal_error")
    assert ["unknown"] == [p.outcome for p in poster.post_due(NINE)]
    if earlier_version:
        with store.engine.begin() as conn:
            conn.execute(update(posted_tips).values(first_claimed_at=None))
    clock[0] += dt.timedelta(minutes=5)
    fake_slack.fail_next("conversations.history", status=500, error="internal_error")
    assert ["unknown"] == [p.outcome for p in poster.post_due(NINE + TICK)]
    clock[0] += dt.timedelta(minutes=5)
    assert ["already_posted"] == [p.outcome for p in poster.post_due(NINE + 2 * TICK)]
    assert 1 == len(posts_to(fake_slack, "C1"))


@pytest.mark.parametrize("delivered", [True, False], ids=["posted", "not-posted"])
def test_a_personal_tip_whose_answer_is_lost_is_looked_for_in_the_dm(
    fake_slack: FakeSlack,
    slack_core: Core,
    db_url: str,
    stores: list[Store],
    delivered: bool,
) -> None:
    """A tip sent to a person's user id, its answer lost to a reset: the bot
    opens the DM the post went to and looks there. Found: posted; not
    there: released, and the next look posts it, once."""
    poster, _ = _poster(slack_core, db_url, stores, channel="U0PERSON1")
    fake_slack.fail_next("chat.postMessage", reset=True, after_delivery=delivered)
    first = [p.outcome for p in poster.post_due(NINE)]
    [look] = fake_slack.delivered("conversations.history")
    assert dm_of("U0PERSON1") == look.body["channel"]
    assert (["posted"] if delivered else ["retry"]) == first
    later = [p.outcome for p in poster.post_due(NINE + TICK)]
    assert (["already_posted"] if delivered else ["posted"]) == later
    assert 1 == len(posts_to(fake_slack, "U0PERSON1"))


def test_a_personal_tip_is_unknown_when_its_dm_cant_be_opened(
    fake_slack: FakeSlack, slack_core: Core, db_url: str, stores: list[Store]
) -> None:
    """Without `im:write` the DM can't be looked in: `unknown`, never resent."""
    poster, _ = _poster(slack_core, db_url, stores, channel="U0PERSON1")
    fake_slack.im_write = False
    fake_slack.fail_next("chat.postMessage", reset=True)
    assert ["unknown"] == [p.outcome for p in poster.post_due(NINE)]
    assert ["unknown"] == [p.outcome for p in poster.post_due(NINE + TICK)]
    assert [] == fake_slack.delivered("conversations.history")
    assert 1 == len([c for c in fake_slack.calls if c.method == "chat.postMessage"])


def test_a_look_slack_refuses_for_good_settles_the_tip(
    fake_slack: FakeSlack, slack_core: Core, db_url: str, stores: list[Store]
) -> None:
    """The answer is lost and Slack refuses the look itself (`missing_scope`
    on the channel's history): `unknown`, settled, never looked at or
    posted again."""
    poster, _ = _poster(slack_core, db_url, stores)
    fake_slack.fail_next("chat.postMessage", reset=True)
    fake_slack.fail_next("conversations.history", error="missing_scope")
    assert ["unknown"] == [p.outcome for p in poster.post_due(NINE)]
    assert ["unknown"] == [p.outcome for p in poster.post_due(NINE + TICK)]
    looks = [c for c in fake_slack.calls if c.method == "conversations.history"]
    posts = [c for c in fake_slack.calls if c.method == "chat.postMessage"]
    assert (1, 1) == (len(looks), len(posts))


def test_the_scheduler_thread_looks_with_its_clock(
    fake_slack: FakeSlack, slack_core: Core, db_url: str, stores: list[Store]
) -> None:
    """A scheduler tick with an injected clock posts what is due at that time."""
    store = open_store(db_url, stores)
    store.subscribe("C1", dt.time(9, 0))
    poster = poster_for(slack_core, store, web_client(slack_core.settings))
    clock = Clock.fixed(dt.datetime(2030, 1, 7, 9, 1, tzinfo=dt.UTC))
    scheduler = Scheduler(poster, interval=3600, clock=clock).start()
    try:
        [call] = fake_slack.wait_delivered("chat.postMessage")
    finally:
        scheduler.stop()
    assert "C1" == call.body["channel"]


def test_the_tip_message_has_the_tip_a_related_entry_and_how_to_stop(
    fake_slack: FakeSlack, slack_core: Core, db_url: str, stores: list[Store]
) -> None:
    """What the channel sees: the tip, a "Read more" button, the footer."""
    store = open_store(db_url, stores)
    store.subscribe("C1", dt.time(9, 0))
    poster_for(slack_core, store, web_client(slack_core.settings)).post_date(START)
    [call] = posts_to(fake_slack, "C1")
    first = tip_order(slack_core.library.snapshot().knowledge)[0]
    section, actions, footer = call.body["blocks"]
    assert section["text"]["text"].endswith(first.text.strip())
    [button] = actions["elements"]
    entry = slack_core.library.snapshot().knowledge.by_id[first.related or ""]
    assert f"Read more: {entry.title}" == button["text"]["text"]
    assert blocks.SHOW_ENTRY_ACTION.match(button["action_id"])
    assert (
        "Daily STPM tip · stop with `/stpm tips off`" == footer["elements"][0]["text"]
    )


def test_read_more_on_a_tip_shows_the_entry_in_its_thread(
    slack: RunningApp, slack_core: Core
) -> None:
    """Clicking the tip's button posts the related entry under the tip."""
    tip = tip_order(slack_core.library.snapshot().knowledge)[0]
    payload = block_action(
        f"show_entry:{tip.related}",
        tip.related or "",
        slack.fake.response_url(),
        message_ts="1700000000.000042",
        thread_ts=None,
    )
    slack.send.action(payload)
    [post] = slack.fake.wait_delivered("response_url")
    assert ("in_channel", "1700000000.000042") == (
        post.body["response_type"],
        post.body["thread_ts"],
    )
    assert f"feedback:{tip.related}" in post.text


def _clocked(db_url: str, stores: list[Store], clock: list[dt.datetime]) -> Store:
    store = Store(engine_for(db_url), now=lambda: clock[0])
    store.create_schema()
    stores.append(store)
    return store


def test_a_tip_slack_refused_for_good_is_not_posted_again_once_stale(
    fake_slack: FakeSlack, slack_core: Core, db_url: str, stores: list[Store]
) -> None:
    """`invalid_blocks`: `failed`, the claim stays and stays settled; long
    after, a look still says `failed` and posts nothing."""
    clock = [dt.datetime.now(dt.UTC)]
    store = _clocked(db_url, stores, clock)
    store.subscribe("C1", dt.time(9, 0))
    client = web_client(slack_core.settings, tips=True)
    poster = poster_for(slack_core, store, client)
    fake_slack.fail_next("chat.postMessage", error="invalid_blocks")
    assert ["failed"] == [p.outcome for p in poster.post_due(NINE)]
    clock[0] += dt.timedelta(minutes=10)
    assert ["failed"] == [p.outcome for p in poster.post_due(NINE + TICK)]
    attempts = [c for c in fake_slack.calls if c.method == "chat.postMessage"]
    assert 1 == len(attempts)


def test_two_posters_settling_one_stale_claim_post_it_once(
    fake_slack: FakeSlack, slack_core: Core, db_url: str, stores: list[Store]
) -> None:
    """A process died between its claim and the post; two posters find the
    stale claim at the same moment: one takes it over, looks, and posts."""
    clock = [dt.datetime.now(dt.UTC)]
    first = _clocked(db_url, stores, clock)
    first.subscribe("C1", dt.time(9, 0))
    tip_id = tip_order(slack_core.library.snapshot().knowledge)[0].id
    assert first.claim_tip("C1", START, tip_id)  # and then the process died
    clock[0] += dt.timedelta(minutes=5)
    client = web_client(slack_core.settings, tips=True)
    posters = [
        poster_for(slack_core, _clocked(db_url, stores, clock), client)
        for _ in range(4)
    ]
    start = threading.Barrier(len(posters))
    outcomes: list[str] = []

    def run(poster: TipPoster) -> None:
        start.wait()
        outcomes.extend(p.outcome for p in poster.post_date(START))

    threads = [threading.Thread(target=run, args=(p,)) for p in posters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 == len(posts_to(fake_slack, "C1"))
    assert 1 == outcomes.count("posted")
    assert [tip_id] == tip_ids(slack_core, posts_to(fake_slack, "C1"))


@pytest.mark.parametrize(
    ("other", "skew", "expected", "posts"),
    [
        ("died", 0, "posted", 1),
        ("died", 15, "posted", 1),
        ("finishes", 0, "already_posted", 0),
        ("pauses", 0, "paused", 0),
        ("finishes-then-off", 0, "already_posted", 0),
        ("switched-off", 0, "switched_off", 0),
    ],
    ids=[
        "died",
        "died-clock-ahead",
        "finishes",
        "pauses",
        "finishes-then-off",
        "switched-off",
    ],
)
def test_a_rerun_waits_for_a_tip_another_process_was_posting(
    fake_slack: FakeSlack,
    slack_core: Core,
    db_url: str,
    stores: list[Store],
    other: str,
    skew: int,
    expected: str,
    posts: int,
) -> None:
    """`post-tips` rerun at once after a run that died mid-post (its claim
    fresh, nothing posted): it waits until the claim is stale, by the
    store's clock, however far ahead the claimer's clock was, and posts the
    tip itself, instead of reporting it "being posted by another process"
    while nobody is. A process that is alive and finishes meanwhile: its
    post stands, even when the channel's tips are switched off after it.
    One that pauses the channel (Slack refused it): `paused`; tips switched
    off before the post: `switched_off`; no more waiting."""
    clock = [dt.datetime.now(dt.UTC)]
    store = Store(engine_for(db_url), now=lambda: clock[0])
    store.create_schema()
    stores.append(store)
    store.subscribe("C1", dt.time(9, 0))
    [tip, *_] = tip_order(slack_core.library.snapshot().knowledge)
    ahead = dt.timedelta(seconds=skew)
    claimer = Store(engine_for(db_url), now=lambda: clock[0] + ahead)
    stores.append(claimer)
    assert claimer.claim_tip("C1", START, tip.id)  # the other run
    poster = poster_for(slack_core, store, web_client(slack_core.settings, tips=True))
    postings = poster.post_date(START)
    assert ["taken"] == [p.outcome for p in postings]
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        clock[0] += dt.timedelta(seconds=seconds)
        if len(waited) == 3 and other == "finishes":
            claimer.mark_tip_posted("C1", START)
        if len(waited) == 3 and other == "pauses":
            claimer.release_tip("C1", START)
            claimer.pause("C1", "not_in_channel")
        if len(waited) == 3 and other == "finishes-then-off":
            claimer.mark_tip_posted("C1", START)
            claimer.unsubscribe("C1")
        if len(waited) == 3 and other == "switched-off":
            claimer.release_tip("C1", START)
            claimer.unsubscribe("C1")

    finished = poster.finish_taken(START, postings, sleep)
    assert [expected] == [p.outcome for p in finished]
    assert posts == len(posts_to(fake_slack, "C1"))
    if other == "died":  # waited for the claim to go stale, and no longer
        assert 120 + skew <= sum(waited) <= 120 + skew + 10
    else:
        assert 3 == len(waited)
