"""The AI-app side panel end to end over HTTP: threads opened from the panel,
their prompts, status, title, answers, follow-ups and native feedback."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from bot.answers.prompts import TIP_PROMPT
from bot.answers.schedule import tip_for
from bot.slack.assistant import EVENTS, PROMPTS_TITLE, STATUS, StoreContexts
from bot.slack.blocks import SORRY
from bot.store.database import Store
from bot.store.engine import engine_for
from bot.store.records import Candidate
from tests.slack.conftest import RunningApp, left_by_a_dead_process
from tests.slack.test_fuzz_requests import JSON_VALUES
from tests.support.clock import SettableNow
from tests.support.fake_slack import Call
from tests.support.harness import (
    USER,
    assistant_thread,
    block_action,
    envelope,
    feedback_click,
    message,
    panel_message,
)

CYBER = "how important is cybersecurity for an stpm"
CLOUD = "how important is cloud computing for an stpm?"
SET_STATUS = "assistant.threads.setStatus"
SET_TITLE = "assistant.threads.setTitle"
SET_PROMPTS = "assistant.threads.setSuggestedPrompts"


def _blocks(call: Call) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = call.body.get("blocks") or []
    return blocks


def _feedback_buttons(call: Call) -> dict[str, Any]:
    """The native feedback element of a posted answer (fails if absent)."""
    found: list[dict[str, Any]] = [
        e
        for b in _blocks(call)
        if b["type"] == "context_actions"
        for e in b["elements"]
        if e["type"] == "feedback_buttons"
    ]
    [element] = found
    return element


def _opened(slack: RunningApp, **kwargs: Any) -> dict[str, Any]:
    """Open a panel thread and wait until the app knows it."""
    started = assistant_thread(**kwargs)
    assert 200 == slack.send.event(envelope(started)).status
    slack.fake.wait_delivered(SET_PROMPTS)
    opened = started["assistant_thread"]
    deadline = time.monotonic() + 5
    while not slack.store.is_assistant_thread(
        opened["channel_id"], opened["thread_ts"]
    ):
        assert time.monotonic() < deadline, "the panel thread was not stored"
        time.sleep(0.01)
    return started


def _methods(slack: RunningApp) -> list[str]:
    return [c.method for c in slack.fake.calls if c.method != "auth.test"]


def test_a_new_thread_gets_prompts_from_the_knowledge_and_today_s_tip(
    slack: RunningApp,
) -> None:
    """Opening the panel: up to four prompts, the knowledge's topics each
    answered with its own entry, and today's tip last."""
    started = assistant_thread()
    slack.send.event(envelope(started))
    [call] = slack.fake.wait_delivered(SET_PROMPTS)
    opened = started["assistant_thread"]
    assert (opened["channel_id"], opened["thread_ts"]) == (
        call.body["channel_id"],
        call.body["thread_ts"],
    )
    assert PROMPTS_TITLE == call.body["title"]
    prompts = call.body["prompts"]
    assert 4 == len(prompts)
    assert {"title": "Today's tip", "message": TIP_PROMPT} == prompts[-1]
    knowledge = slack.core.library.snapshot().knowledge
    titles = {e.title: e.id for e in knowledge.entries}
    for prompt in prompts[:-1]:
        asked = slack.core.answerer.retrieve(prompt["message"])
        assert asked.result.best is not None, prompt
        assert titles[prompt["title"]] == asked.result.best.entry.id


def test_the_most_asked_entries_come_first(slack: RunningApp) -> None:
    """What people asked most lately leads the prompts."""
    for _ in range(3):
        slack.store.record_question("cloud?", "answered", [Candidate("skill-cloud", 1)])
    slack.store.record_question("ai?", "answered", [Candidate("skill-ai-ml", 1)])
    slack.send.event(envelope(assistant_thread()))
    [call] = slack.fake.wait_delivered(SET_PROMPTS)
    knowledge = slack.core.library.snapshot().knowledge
    expected = [
        knowledge.by_id["skill-cloud"].title,
        knowledge.by_id["skill-ai-ml"].title,
    ]
    assert expected == [p["title"] for p in call.body["prompts"][:2]]


def test_a_question_in_the_panel_is_answered_once_with_status_title_and_feedback(
    slack: RunningApp,
) -> None:
    """Status while looking, the answer in the thread with Slack's feedback
    buttons (not the vote buttons), the thread titled by its topic; the DM
    listener stays out of it."""
    started = _opened(slack)
    opened = started["assistant_thread"]
    slack.send.event(envelope(panel_message(CYBER, started)))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    slack.fake.wait_delivered(SET_TITLE)
    slack.drain()
    [status] = slack.fake.delivered(SET_STATUS)
    assert STATUS == status.body["status"]
    assert opened["thread_ts"] == status.body["thread_ts"]
    methods = _methods(slack)
    assert methods.index(SET_STATUS) < methods.index("chat.postMessage")
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    assert (opened["channel_id"], opened["thread_ts"]) == (
        post.body["channel"],
        post.body["thread_ts"],
    )
    assert post.body["text"].startswith("Cybersecurity")
    buttons = _feedback_buttons(post)
    assert "👍" == buttons["positive_button"]["text"]["text"]
    assert "feedback_up" not in json.dumps(_blocks(post))
    [title] = slack.fake.delivered(SET_TITLE)
    knowledge = slack.core.library.snapshot().knowledge
    assert knowledge.by_id["skill-cybersecurity"].title == title.body["title"]


def test_a_thread_answered_in_lately_outlives_the_retention_from_its_opening(
    start_app: Callable[..., RunningApp], tmp_path: Path
) -> None:
    """Opened 100 days ago and answered in 20 days ago: still a panel thread
    after a 90-day prune; quiet for 91 days more, it is forgotten."""
    clock = SettableNow(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    slack = start_app(
        store=Store(engine_for(f"sqlite:///{tmp_path / 'c.db'}"), now=clock)
    )
    started = _opened(slack)
    opened = started["assistant_thread"]
    where = (opened["channel_id"], opened["thread_ts"])
    clock.now += dt.timedelta(days=80)
    slack.send.event(envelope(panel_message(CYBER, started)))
    slack.fake.wait_delivered("chat.postMessage")
    slack.drain()
    clock.now += dt.timedelta(days=20)
    assert 0 == slack.store.forget_assistant_threads(dt.timedelta(days=90))
    assert slack.store.is_assistant_thread(*where)
    clock.now += dt.timedelta(days=71)
    assert 1 == slack.store.forget_assistant_threads(dt.timedelta(days=90))
    assert not slack.store.is_assistant_thread(*where)


def test_follow_ups_use_the_thread_s_own_topic(slack: RunningApp) -> None:
    """ "tell me more" goes on from this thread's answer, a second question
    is answered too, and the thread keeps its first title."""
    started = _opened(slack)
    slack.send.event(envelope(panel_message(CYBER, started)))
    slack.fake.wait_delivered(SET_TITLE)
    opened = started["assistant_thread"]
    deadline = time.monotonic() + 5
    while slack.store.topic_of(opened["channel_id"], opened["thread_ts"]) is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert slack.store.topic_of(opened["channel_id"], "") is None  # not the DM's
    slack.send.event(envelope(panel_message("tell me more", started)))
    posts = slack.fake.wait_delivered("chat.postMessage", count=2)
    more = posts[1]
    assert opened["thread_ts"] == more.body["thread_ts"]
    assert "More on" in more.text
    _feedback_buttons(more)
    slack.send.event(envelope(panel_message(CLOUD, started)))
    posts = slack.fake.wait_delivered("chat.postMessage", count=3)
    assert posts[2].body["text"].startswith("Cloud")
    slack.drain()
    assert 1 == len(slack.fake.delivered(SET_TITLE))
    assert 3 == len(slack.fake.delivered(SET_STATUS))


def test_a_retried_panel_message_is_answered_once(slack: RunningApp) -> None:
    """Slack's retry of the same event: one answer, and no status left on
    (a retry that comes while the first is still in the outbox is dropped
    there; one that comes later sets the status and clears it again)."""
    started = _opened(slack)
    event = panel_message(CYBER, started)
    body = envelope(event)
    slack.send.event(body)
    slack.fake.wait_delivered("chat.postMessage")
    slack.send.event(body, retry=1)
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    statuses = [c.body["status"] for c in slack.fake.delivered(SET_STATUS)]
    assert statuses in ([STATUS], [STATUS, STATUS, ""])


def test_today_s_tip_prompt_shows_the_tip_of_the_day(slack: RunningApp) -> None:
    """The tip prompt answers with the same tip of the day as App Home."""
    started = _opened(slack)
    slack.send.event(envelope(panel_message(TIP_PROMPT, started)))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    knowledge = slack.core.library.snapshot().knowledge
    tip = tip_for(knowledge, slack.core.clock.today())
    assert tip.text.strip()[:60] in post.text
    assert "tips off" not in post.text  # asked for, not subscribed to
    slack.drain()
    assert [] == slack.fake.delivered(SET_TITLE)


@pytest.mark.parametrize("method", [SET_STATUS, SET_TITLE], ids=["status", "title"])
def test_a_refused_status_or_title_never_costs_the_answer(
    slack: RunningApp, method: str
) -> None:
    """A workspace that refuses the panel's methods still gets its answer;
    the refusal is logged once."""
    started = _opened(slack)
    slack.fake.fail_next(method, error="not_allowed_token_type")
    with capture_logs() as logs:
        slack.send.event(envelope(panel_message(CYBER, started)))
        [post] = slack.fake.wait_delivered("chat.postMessage")
        slack.drain()
    assert post.body["text"].startswith("Cybersecurity")
    failed = [e for e in logs if e["event"].startswith("assistant.")]
    assert [("not_allowed_token_type", "warning")] == [
        (e["error"], e["log_level"]) for e in failed if e["event"].endswith("_failed")
    ]


@pytest.mark.parametrize("method", [SET_STATUS, SET_TITLE], ids=["status", "title"])
def test_a_status_or_title_answer_cut_short_never_costs_the_answer(
    slack: RunningApp, method: str
) -> None:
    """Slack's answer to the status or the title stops half-way: the
    answer is posted all the same, once, and nobody gets an apology."""
    started = _opened(slack)
    slack.fake.fail_next(method, cut=True)
    with capture_logs() as logs:
        slack.send.event(envelope(panel_message(CYBER, started)))
        [post] = slack.fake.wait_delivered("chat.postMessage")
        slack.drain()
    assert post.body["text"].startswith("Cybersecurity")
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    assert [] == slack.fake.delivered("chat.postEphemeral")
    assert not any(e["event"] == "slack.error" for e in logs)


@pytest.mark.parametrize(
    "failure",
    [{"delay": 12.0}, {"status": 429, "retry_after": 20}],
    ids=["hangs", "rate-limited"],
)
def test_a_slow_status_never_holds_the_answer_back(
    slack: RunningApp, failure: dict[str, Any]
) -> None:
    """Slack takes its time over the status (it hangs, or asks the bot to
    wait 20 s): the status is the panel's dressing, tried once and briefly,
    and the answer comes at once all the same."""
    started = _opened(slack)
    slack.fake.fail_next(SET_STATUS, **failure)
    slack.send.event(envelope(panel_message(CYBER, started)))
    [post] = slack.fake.wait_delivered("chat.postMessage", timeout=5)
    assert post.body["text"].startswith("Cybersecurity")
    slack.fake.heal()
    slack.drain()


def test_a_question_taken_up_after_a_crash_leaves_no_status_spinning(
    slack: RunningApp,
) -> None:
    """Answered, then the process died before it forgot the request: the
    replay finds the answer already there, posts nothing, and clears the
    status it set (no new message makes Slack clear it)."""
    started = _opened(slack)
    question = panel_message(CYBER, started)
    slack.send.event(envelope(question, "EvDead"))
    slack.fake.wait_delivered("chat.postMessage")
    _until_handled(slack)
    looked = len(slack.fake.delivered(SET_STATUS))
    assert 1 == left_by_a_dead_process(slack, question).resume(slack.app)
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    statuses = [c.body["status"] for c in slack.fake.delivered(SET_STATUS)]
    assert [STATUS, ""] == statuses[looked:]


def _until_handled(slack: RunningApp, timeout: float = 10.0) -> None:
    """Wait until the outbox holds no request: every one was worked on."""
    deadline = time.monotonic() + timeout
    while slack.store.backlog()[0]:
        assert time.monotonic() < deadline, "requests still in the outbox"
        time.sleep(0.02)


def test_a_refused_title_is_tried_again_on_the_next_answer(slack: RunningApp) -> None:
    """The title is claimed only when Slack took it."""
    started = _opened(slack)
    slack.fake.fail_next(SET_TITLE, error="ratelimited")
    slack.send.event(envelope(panel_message(CYBER, started)))
    slack.fake.wait_for(lambda calls: SET_TITLE in [c.method for c in calls])
    assert [] == slack.fake.delivered(SET_TITLE)
    opened = started["assistant_thread"]
    where = (opened["channel_id"], opened["thread_ts"])
    deadline = time.monotonic() + 5
    while not slack.store.claim_title(*where):  # until the refusal released it
        assert time.monotonic() < deadline, "the title was never released"
        time.sleep(0.01)
    slack.store.release_title(*where)
    slack.send.event(envelope(panel_message(CLOUD, started)))
    [title] = slack.fake.wait_delivered(SET_TITLE)
    assert title.body["title"].startswith("Cloud")


def test_refused_prompts_still_remember_the_thread(slack: RunningApp) -> None:
    """setSuggestedPrompts refused: the thread is still the panel's, and
    its question is answered as one."""
    slack.fake.fail_next(SET_PROMPTS, error="invalid_thread_ts")
    started = assistant_thread()
    slack.send.event(envelope(started))
    slack.drain()
    opened = started["assistant_thread"]
    assert slack.store.is_assistant_thread(opened["channel_id"], opened["thread_ts"])
    assert [] == slack.fake.delivered(SET_PROMPTS)


def test_a_plain_dm_thread_is_answered_as_before(slack: RunningApp) -> None:
    """Without the panel (no thread started): DMs and DM threads get the
    vote buttons, no status and no title, as always."""
    slack.send.event(envelope(message(CYBER)))
    slack.send.event(envelope(message(CLOUD, thread_ts="1690000000.000500")))
    posts = slack.fake.wait_delivered("chat.postMessage", count=2)
    slack.drain()
    assert 2 == len(slack.fake.delivered("chat.postMessage"))
    for post in posts:
        assert "feedback_up" in json.dumps(_blocks(post))
        assert "context_actions" not in json.dumps(_blocks(post))
    assert [None, "1690000000.000500"] == sorted(
        (p.body.get("thread_ts") for p in posts), key=lambda t: t or ""
    )
    assert [] == [m for m in _methods(slack) if m.startswith("assistant.")]


def test_the_context_is_kept_as_the_person_moves(slack: RunningApp) -> None:
    """`assistant_thread_context_changed`: the thread's context is the new
    channel; a thread started elsewhere becomes the panel's."""
    started = _opened(slack)
    opened = started["assistant_thread"]
    moved = assistant_thread(
        "assistant_thread_context_changed",
        thread_ts=opened["thread_ts"],
        viewing="C0OTHER1",
    )
    slack.send.event(envelope(moved))
    unknown = assistant_thread("assistant_thread_context_changed", viewing="C0NEW001")
    slack.send.event(envelope(unknown))
    slack.drain()
    context = slack.store.assistant_context(opened["channel_id"], opened["thread_ts"])
    assert context is not None and "C0OTHER1" == context["channel_id"]
    new = unknown["assistant_thread"]
    assert slack.store.is_assistant_thread(new["channel_id"], new["thread_ts"])


@pytest.mark.parametrize(
    "thread",
    [None, {"channel_id": "D0DM0001"}, {"thread_ts": "1.1"}, "D0DM0001"],
    ids=["none", "no-thread-ts", "no-channel", "a-string"],
)
def test_a_misshapen_thread_event_is_one_log_line(
    slack: RunningApp, thread: object
) -> None:
    """A panel event without its thread: 200, one warning, nothing done."""
    for kind in ("assistant_thread_started", "assistant_thread_context_changed"):
        event: dict[str, Any] = {"type": kind, "event_ts": "1.1"}
        if thread is not None:
            event["assistant_thread"] = thread
        with capture_logs() as logs:
            assert 200 == slack.send.event(envelope(event)).status
        assert ["assistant.event_malformed"] == [
            e["event"] for e in logs if e["log_level"] in ("warning", "error")
        ]
    slack.drain()
    assert [] == _methods(slack)


def _answered_in_panel(slack: RunningApp) -> tuple[dict[str, Any], Call]:
    started = _opened(slack)
    slack.send.event(envelope(panel_message(CYBER, started)))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    slack.fake.wait_delivered(SET_TITLE)  # the last thing the answer does
    return started, post


def _click(
    slack: RunningApp, started: dict[str, Any], post: Call, positive: bool
) -> None:
    opened = started["assistant_thread"]
    button = _feedback_buttons(post)[
        "positive_button" if positive else "negative_button"
    ]
    payload = feedback_click(
        button["value"],
        slack.fake.response_url(),
        channel=opened["channel_id"],
        thread_ts=opened["thread_ts"],
        positive=positive,
    )
    assert 200 == slack.send.action(payload).status


def test_native_thumbs_up_records_the_vote(
    start_app: Callable[..., RunningApp],
) -> None:
    """👍 on a panel answer is the same vote the Helpful button records."""
    slack = start_app()
    started, post = _answered_in_panel(slack)
    slack.fake.reset()
    _click(slack, started, post, positive=True)
    [note] = slack.fake.wait_delivered("response_url")
    [vote] = slack.store.votes()
    assert ("skill-cybersecurity", 1, CYBER) == (
        vote.entry_id,
        vote.vote,
        vote.question,
    )
    assert slack.store.user_hash(USER) == vote.user_hash
    assert note.body["text"].startswith("Thanks for the feedback")


def test_native_thumbs_down_offers_why_and_an_expert(
    start_app: Callable[..., RunningApp],
) -> None:
    """👎 is a knowledge gap, and leads on as elsewhere: Tell us why, and
    Ask an expert where there are experts."""
    slack = start_app(experts_channel="C0EXPERT1")
    started, post = _answered_in_panel(slack)
    slack.fake.reset()
    _click(slack, started, post, positive=False)
    [note] = slack.fake.wait_delivered("response_url")
    slack.drain()
    assert [-1] == [v.vote for v in slack.store.votes()]
    assert "downvote" in {g.source for g in slack.store.gaps()}
    actions = {
        e["action_id"]
        for b in note.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert {"feedback_why", "ask_expert", "ask_expert_named"} == actions


def test_a_click_without_response_url_is_thanked_in_the_thread(
    slack: RunningApp,
) -> None:
    """Should Slack send no response_url, the thanks goes to the clicker
    alone in the thread."""
    started, post = _answered_in_panel(slack)
    slack.fake.reset()
    opened = started["assistant_thread"]
    button = _feedback_buttons(post)["positive_button"]
    payload = feedback_click(
        button["value"],
        "",
        channel=opened["channel_id"],
        thread_ts=opened["thread_ts"],
    )
    del payload["response_url"]
    slack.send.action(payload)
    [note] = slack.fake.wait_delivered("chat.postEphemeral")
    assert (USER, opened["thread_ts"]) == (note.body["user"], note.body["thread_ts"])
    assert [1] == [v.vote for v in slack.store.votes()]


def test_a_forged_feedback_value_is_ignored(slack: RunningApp) -> None:
    """A value that is not the app's: logged, nothing recorded, no reply."""
    payload = feedback_click('{"v": 5, "e": "x"}', slack.fake.response_url())
    with capture_logs() as logs:
        assert 200 == slack.send.action(payload).status
        slack.drain()
    assert [] == slack.store.votes()
    assert [] == slack.fake.delivered("response_url")
    assert ["feedback.malformed"] == [
        e["event"] for e in logs if e["log_level"] == "warning"
    ]


def test_bolt_s_thread_context_is_the_store_s(slack: RunningApp) -> None:
    """Bolt's context store for the panel reads and writes our table, so Bolt
    never reads the thread back from Slack."""
    contexts = StoreContexts(slack.store)
    slack.store.start_assistant_thread("D0DM0001", "1.000100", USER, {})
    assert contexts.find(channel_id="D0DM0001", thread_ts="1.000100") is None
    contexts.save(
        channel_id="D0DM0001", thread_ts="1.000100", context={"channel_id": "C1"}
    )
    found = contexts.find(channel_id="D0DM0001", thread_ts="1.000100")
    assert found is not None and "C1" == found.channel_id
    assert [] == _methods(slack)


def test_a_related_entry_opened_in_the_panel_keeps_its_ways(
    slack: RunningApp,
) -> None:
    """A *Related* button in a panel thread: the entry in that thread with
    Slack's feedback buttons, and the thread's topic is now that entry."""
    started, post = _answered_in_panel(slack)
    opened = started["assistant_thread"]
    [related] = [
        e
        for b in _blocks(post)
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("show_entry:")
    ][:1]
    payload = block_action(
        related["action_id"],
        related["value"],
        slack.fake.response_url(),
        channel=opened["channel_id"],
        message_ts=post.body["thread_ts"] + "1",
        thread_ts=opened["thread_ts"],
    )
    slack.send.action(payload)
    [shown] = slack.fake.wait_delivered("response_url")
    assert opened["thread_ts"] == shown.body["thread_ts"]
    _feedback_buttons(shown)
    assert "feedback_up" not in json.dumps(_blocks(shown))
    deadline = time.monotonic() + 5
    where = (opened["channel_id"], opened["thread_ts"])
    while (topic := slack.store.topic_of(*where)) is None or (
        topic.entry_id != related["value"]
    ):
        assert time.monotonic() < deadline, "the thread's topic did not move"
        time.sleep(0.01)


PANEL_EVENTS = st.fixed_dictionaries(
    {
        "type": st.sampled_from([*EVENTS, "message"]),
        "assistant_thread": JSON_VALUES
        | st.fixed_dictionaries(
            {},
            optional={
                "channel_id": JSON_VALUES,
                "thread_ts": JSON_VALUES,
                "user_id": JSON_VALUES,
                "context": JSON_VALUES,
            },
        ),
    },
    optional={
        "channel": st.just("D0DM0001") | JSON_VALUES,
        "channel_type": st.just("im"),
        "thread_ts": st.just("1.000100") | JSON_VALUES,
        "user": st.just(USER) | JSON_VALUES,
        "text": st.just(CYBER) | JSON_VALUES,
        "ts": st.just("1.000200"),
        "subtype": st.sampled_from(["message_changed", "file_share", "bot_message"]),
    },
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(PANEL_EVENTS)
@example(
    {
        "type": "message",
        "assistant_thread": {"channel_id": [None]},
        "channel_type": "im",
        "thread_ts": "1.000100",
    }
)
@example(
    {
        "type": "message",
        "assistant_thread": [],
        "channel": "D0DM0001",
        "channel_type": "im",
        "thread_ts": "1.000100",
        "user": USER,
        "text": CYBER,
        "ts": "1.000200",
    }
)
def test_misshapen_panel_events_never_get_a_server_error(
    slack: RunningApp, event: dict[str, Any]
) -> None:
    """Whatever shape a panel event or panel-thread message has: no 5xx,
    and no listener fails (no apology posted)."""
    slack.store.start_assistant_thread("D0DM0001", "1.000100", USER, {})
    with capture_logs() as logs:
        assert slack.send.event(envelope(event)).status < 500
    assert [] == [e for e in logs if e["log_level"] == "error"]
    # Listeners run after the 200: any earlier example's failure shows here.
    assert not any(SORRY in c.text for c in slack.fake.calls)


def test_a_panel_thread_answered_through_did_you_mean_is_titled(
    slack: RunningApp,
) -> None:
    """The entry picked from "did you mean" is the answer to what was asked:
    the thread is named after it, as after any first answer."""
    started = _opened(slack)
    opened = started["assistant_thread"]
    slack.send.event(envelope(panel_message("advice pls", started)))
    [suggested] = slack.fake.wait_delivered("chat.postMessage")
    button = next(
        e
        for b in suggested.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("show_entry")
    )
    click = block_action(
        button["action_id"],
        button["value"],
        slack.fake.response_url("picked"),
        channel=opened["channel_id"],
        message_ts=str(suggested.body.get("ts") or "1.1"),
        thread_ts=opened["thread_ts"],
    )
    assert 200 == slack.send.action(click).status
    [title] = slack.fake.wait_delivered(SET_TITLE)
    slack.drain()
    assert opened["thread_ts"] == title.body["thread_ts"]
    assert title.body["title"] == button["text"]["text"]


def test_the_first_question_of_a_panel_thread_opened_while_busy_is_the_panel_s(
    slack: RunningApp,
) -> None:
    """Every worker is waiting on a slow Slack when a panel thread opens and
    its first question comes: the thread is known from the moment Slack's
    event is acked, so the question is answered as the panel's (Slack's own
    feedback buttons, its topic the thread's), not as a plain DM."""
    for n in range(8):  # other people's DMs, their answers slow to post
        slack.fake.fail_next("chat.postMessage", delay=6, after_delivery=True)
        slack.send.event(envelope(message(CLOUD, channel=f"D0BUSY{n:03d}")))
    time.sleep(0.3)
    started = assistant_thread(channel="D0PANEL1")
    assert 200 == slack.send.event(envelope(started)).status
    assert 200 == slack.send.event(envelope(panel_message(CYBER, started))).status
    slack.fake.wait_for(
        lambda calls: any(
            c.method == "chat.postMessage" and c.body.get("channel") == "D0PANEL1"
            for c in calls
        ),
        timeout=30,
    )
    slack.drain()
    [answer] = [
        c
        for c in slack.fake.delivered("chat.postMessage")
        if c.body.get("channel") == "D0PANEL1"
    ]
    assert "feedback_buttons" in json.dumps(answer.body["blocks"])
    thread = started["assistant_thread"]["thread_ts"]
    assert slack.store.topic_of("D0PANEL1", thread) is not None
