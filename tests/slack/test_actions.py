"""Button clicks: related entries, feedback, App Home."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update
from structlog.testing import capture_logs

from bot.slack.blocks import QUESTION_KEY_CHARS, VoteValue
from bot.store.schema import processed_events
from tests.slack.conftest import RunningApp, left_by_a_dead_process
from tests.support.fake_slack import Call, FakeSlack, dm_of
from tests.support.harness import USER, block_action, envelope, message


def test_related_entry_button_posts_the_entry_in_the_same_thread(
    slack: RunningApp,
) -> None:
    """Clicking a related entry posts that entry in the thread of the click,
    through the click's response_url (so it works where the bot isn't a
    member), and makes the clicker's "tell me more" go on from it."""
    payload = block_action(
        "show_entry:skill-cloud",
        "skill-cloud",
        slack.fake.response_url(),
        thread_ts="1.5",
    )
    assert 200 == slack.send.action(payload).status
    [post] = slack.fake.wait_delivered("response_url")
    assert ("in_channel", "1.5") == (post.body["response_type"], post.body["thread_ts"])
    assert post.body["replace_original"] is False
    assert "feedback:skill-cloud" in json.dumps(post.body["blocks"])
    slack.drain()
    assert [] == slack.fake.delivered("chat.postMessage")
    topic = slack.store.topic_of("C0CHAN01", "1.5")
    assert topic is not None and "skill-cloud" == topic.entry_id


def test_three_people_clicking_one_button_post_it_once(slack: RunningApp) -> None:
    """The entry is posted in the thread once; the later clicks show it to
    each clicker privately."""
    for user in ("U0USER01", "U0USER02", "U0USER03"):
        payload = block_action(
            "show_entry:skill-cloud",
            "skill-cloud",
            slack.fake.response_url(),
            thread_ts="1.7",
            user=user,
        )
        slack.send.action(payload)
    posts = slack.fake.wait_delivered("response_url", count=3)
    kinds = sorted(p.body["response_type"] for p in posts)
    assert ["ephemeral", "ephemeral", "in_channel"] == kinds


def test_related_entry_in_a_private_answer_stays_private(slack: RunningApp) -> None:
    """A click in an ephemeral /stpm answer answers ephemerally too."""
    payload = block_action(
        "show_entry:skill-cloud",
        "skill-cloud",
        slack.fake.response_url(),
        ephemeral=True,
    )
    slack.send.action(payload)
    [call] = slack.fake.wait_delivered("response_url")
    assert "ephemeral" == call.body["response_type"]
    assert "Share in channel" in json.dumps(
        call.body["blocks"]
    )  # like every private answer
    assert [] == slack.fake.delivered("chat.postMessage")


def test_feedback_click_is_stored_with_a_hashed_user(slack: RunningApp) -> None:
    """👍 stores question, entry, vote and time; the user id only as a hash."""
    value = VoteValue("skill-cloud", "is cloud important").encode()
    payload = block_action("feedback_up", value, slack.fake.response_url())
    assert 200 == slack.send.action(payload).status
    [note] = slack.fake.wait_delivered("response_url")
    slack.drain()
    [vote] = slack.store.votes()
    assert ("is cloud important", "skill-cloud", 1) == (
        vote.question,
        vote.entry_id,
        vote.vote,
    )
    assert slack.store.user_hash(USER) == vote.user_hash
    assert USER not in vote.user_hash
    assert "ephemeral" == note.body["response_type"]
    assert "thread_ts" not in note.body  # shown where the clicked message is
    assert note.body["text"].startswith("Thanks for the feedback")
    assert [] == slack.fake.delivered("chat.postEphemeral")


def test_a_second_vote_replaces_the_first(slack: RunningApp) -> None:
    """Changing one's mind keeps one vote per person, answer and question."""
    value = VoteValue("skill-cloud", "is cloud important").encode()
    slack.send.action(block_action("feedback_up", value, slack.fake.response_url()))
    slack.send.action(block_action("feedback_down", value, slack.fake.response_url()))
    slack.drain()
    assert [-1] == [v.vote for v in slack.store.votes()]


def test_a_click_in_a_channel_the_bot_is_not_in_still_works(slack: RunningApp) -> None:
    """A shared answer in a channel the bot never joined: chat.postMessage
    would fail with not_in_channel, the response_url doesn't."""
    slack.fake.fail_next("chat.postMessage", error="not_in_channel")
    payload = block_action(
        "show_entry:skill-cloud", "skill-cloud", slack.fake.response_url()
    )
    slack.send.action(payload)
    [post] = slack.fake.wait_delivered("response_url")
    assert "in_channel" == post.body["response_type"]
    assert post.body["text"].startswith("Cloud computing")


def test_app_home_publishes_topics_skills_and_tip(slack: RunningApp) -> None:
    """Opening App Home publishes a home view with topics, skills and a tip."""
    event = {
        "type": "app_home_opened",
        "user": USER,
        "channel": "D0DM0001",
        "tab": "home",
        "event_ts": "1700000000.000100",
    }
    slack.send.event(envelope(event))
    [call] = slack.fake.wait_delivered("views.publish")
    view = call.body["view"]
    if isinstance(view, str):
        view = json.loads(view)
    text = json.dumps(view)
    assert (USER, "home") == (call.body["user_id"], view["type"])
    for part in ("What I know about", "Technical skills", "Today's tip"):
        assert part in text


def _messages_tab_opened(event_ts: str) -> dict[str, str]:
    """The person opened the app's Messages tab (its DM)."""
    return {
        "type": "app_home_opened",
        "user": USER,
        "channel": "D0DM0001",
        "tab": "messages",
        "event_ts": event_ts,
    }


def test_the_messages_tab_welcomes_once_and_publishes_nothing(
    slack: RunningApp,
) -> None:
    """The first opening of the Messages tab gets the introduction in the DM;
    later openings (and the retries of that event) get nothing; no view."""
    for n in range(3):
        event = _messages_tab_opened(f"1700000000.00020{n}")
        slack.send.event(envelope(event))
    [welcome] = slack.fake.wait_delivered("chat.postMessage")
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    assert "D0DM0001" == welcome.body["channel"]
    assert "/stpm" in welcome.body["text"]
    assert [] == slack.fake.delivered("views.publish")


def test_a_welcome_slack_posted_but_answered_with_a_reset_is_posted_once(
    slack: RunningApp,
) -> None:
    """Slack posts the welcome and drops the connection: the bot looks in
    the DM, finds it, and neither posts it again nor lets a later opening
    welcome twice."""
    slack.fake.fail_next("chat.postMessage", reset=True, after_delivery=True)
    for n in range(2):
        event = _messages_tab_opened(f"1700000000.00030{n}")
        slack.send.event(envelope(event, f"EvWelcome{n}"))
        slack.fake.wait_delivered("chat.postMessage")
    slack.fake.wait_delivered("conversations.history")
    slack.drain()
    assert ["D0DM0001"] == [
        c.body["channel"] for c in slack.fake.calls if c.method == "chat.postMessage"
    ]


def test_a_welcome_slack_never_got_is_sent_when_slack_is_back(
    start_app: Callable[..., RunningApp], slack: RunningApp
) -> None:
    """Nothing listens where the bot posts (connection refused: Slack surely
    didn't get it), so the welcome's claim is let go: the next opening,
    with Slack back, welcomes."""
    gone = FakeSlack().start()  # the Slack this replica started with, then gone
    away = start_app(store=slack.store, SLACK_API_BASE_URL=gone.api_url)
    gone.stop()
    event = _messages_tab_opened("1700000000.000400")
    away.send.event(envelope(event, "EvWelcomeAway"))
    away.drain()
    assert [] == slack.fake.delivered("chat.postMessage")
    slack.send.event(envelope(_messages_tab_opened("1700000000.000401"), "EvBack"))
    [welcome] = slack.fake.wait_delivered("chat.postMessage")
    assert "D0DM0001" == welcome.body["channel"]


def _home_click(slack: RunningApp, user: str = USER) -> dict[str, Any]:
    """Cloud computing's button clicked in App Home: a view, so no channel
    and, as Slack sends them, no response_url."""
    payload = block_action(
        "show_entry:skill-cloud", "skill-cloud", slack.fake.response_url(), user=user
    )
    payload["container"] = {"type": "view", "view_id": "V0HOME01"}
    payload.pop("channel")
    payload.pop("response_url")
    return payload


@pytest.mark.parametrize("earlier", [False, True], ids=["new-dm", "dm-with-an-answer"])
def test_tell_me_more_after_an_entry_from_app_home_goes_on_from_it(
    slack: RunningApp, earlier: bool
) -> None:
    """The entry opened from App Home lands in the DM, and is the last
    answer there: "tell me more" in that DM goes on from it (not the intro,
    nor an earlier answer's topic)."""
    dm = dm_of(USER)
    if earlier:
        asked = message("how important is cybersecurity for an stpm", channel=dm)
        slack.send.event(envelope(asked))
        slack.fake.wait_delivered("chat.postMessage")
        _until_topic(slack, dm)
    slack.send.action(_home_click(slack))
    slack.fake.wait_delivered("chat.postMessage", 2 if earlier else 1)
    deadline = time.monotonic() + 5
    while (topic := slack.store.topic_of(dm, "")) is None or topic.entry_id != (
        "skill-cloud"
    ):
        assert time.monotonic() < deadline, "the entry is not the DM's topic"
        time.sleep(0.01)
    slack.send.event(envelope(message("tell me more", channel=dm)))
    posts = slack.fake.wait_delivered("chat.postMessage", 3 if earlier else 2)
    assert posts[-1].text.startswith("More on Cloud computing")


def _until_topic(slack: RunningApp, channel: str) -> None:
    deadline = time.monotonic() + 5
    while slack.store.topic_of(channel, "") is None:
        assert time.monotonic() < deadline, "no topic"
        time.sleep(0.01)


@pytest.mark.parametrize("delivered", [True, False], ids=["posted", "not-posted"])
def test_an_entry_opened_from_app_home_is_posted_once_after_a_reset(
    slack: RunningApp, delivered: bool
) -> None:
    """From App Home the entry goes to the person's user id, which lands in
    the app's DM. The answer lost to a reset, the bot opens that DM, looks,
    and posts again only if the entry isn't there: one copy either way."""
    slack.fake.fail_next("chat.postMessage", reset=True, after_delivery=delivered)
    slack.send.action(_home_click(slack))
    slack.fake.wait_delivered("chat.postMessage")
    slack.drain()
    [post] = slack.fake.delivered("chat.postMessage")
    assert "Cloud computing" in post.text
    looked = slack.fake.delivered("conversations.history")
    assert [dm_of(USER)] == [c.body["channel"] for c in looked]


def test_an_entry_opened_from_app_home_without_im_write_is_sent_at_most_once(
    slack: RunningApp,
) -> None:
    """An app without `im:write` can't open the DM to look: a reset after
    Slack posted the entry is not followed by a second post."""
    slack.fake.im_write = False
    slack.fake.fail_next("chat.postMessage", reset=True, after_delivery=True)
    slack.send.action(_home_click(slack))
    slack.fake.wait_delivered("chat.postMessage")
    slack.drain()
    posts = [c for c in slack.fake.calls if c.method == "chat.postMessage"]
    assert [USER] == [c.body["channel"] for c in posts]


def test_an_app_home_entry_slack_never_got_is_sent_when_taken_up_again(
    start_app: Callable[..., RunningApp], slack: RunningApp
) -> None:
    """The click reaches a replica whose Slack is gone (connection refused:
    surely not posted), so its claims are let go: the same click taken up
    again from the outbox, with Slack back, sends the entry to the DM once."""
    gone = FakeSlack().start()
    away = start_app(store=slack.store, SLACK_API_BASE_URL=gone.api_url)
    gone.stop()
    click = _home_click(slack)
    away.send.action(click)
    away.drain()
    assert 1 == left_by_a_dead_process(slack, click).resume(slack.app)
    slack.drain()
    [post] = slack.fake.delivered("chat.postMessage")
    assert USER == post.body["channel"] and "Cloud computing" in post.text
    assert [] == slack.fake.delivered("response_url")


def test_an_entry_clicked_again_later_in_a_dm_is_posted_again(
    slack: RunningApp,
) -> None:
    """A DM's top level is the person's own: the same *Related* entry
    clicked under a later answer is posted again (not only shown to them,
    gone on reload); clicked twice at once, it is posted once."""
    dm = "D0REL001"

    def click(hook: str) -> None:
        payload = block_action(
            "show_entry:skill-cloud",
            "skill-cloud",
            slack.fake.response_url(hook, channel=dm),
            channel=dm,
            message_ts=f"1700000000.00000{hook[-1]}",
            thread_ts=None,
        )
        assert 200 == slack.send.action(payload).status

    click("first1")
    click("first2")  # the same click twice (a double-click)
    slack.fake.wait_delivered("response_url")
    _age_claims(slack, 60)
    click("later3")
    slack.fake.wait_delivered("response_url", 2)
    slack.drain()
    kinds = [c.body.get("response_type") for c in slack.fake.delivered("response_url")]
    assert ["in_channel", "in_channel"] == kinds


def _age_claims(slack: RunningApp, seconds: float) -> None:
    """Every claim in the store made `seconds` earlier than it was."""
    with slack.store.engine.begin() as conn:
        rows = conn.execute(select(processed_events)).all()
        for row in rows:
            conn.execute(
                update(processed_events)
                .where(processed_events.c.event_key == row.event_key)
                .values(claimed_at=row.claimed_at - dt.timedelta(seconds=seconds))
            )


@pytest.mark.parametrize("user", [USER, "W0GRID001"], ids=["user", "grid-user"])
def test_an_entry_opened_again_from_app_home_is_sent_again(
    slack: RunningApp, user: str
) -> None:
    """Each click in App Home is the clicker's own request: opening the same
    entry again a minute later (or the next day) sends it to the DM again,
    for a user id of an Enterprise Grid (W…) too."""
    slack.send.action(_home_click(slack, user))
    slack.fake.wait_delivered("chat.postMessage")
    _age_claims(slack, 60)
    slack.send.action(_home_click(slack, user))
    posts = slack.fake.wait_delivered("chat.postMessage", count=2)
    slack.drain()
    assert [user, user] == [c.body["channel"] for c in posts]


def test_a_double_click_in_app_home_sends_the_entry_once(slack: RunningApp) -> None:
    """Two clicks on one entry within seconds are one request clicked twice."""
    slack.send.action(_home_click(slack))
    slack.send.action(_home_click(slack))
    slack.drain()
    [post] = slack.fake.delivered("chat.postMessage")
    assert USER == post.body["channel"]


@pytest.mark.parametrize("posted", [True, False], ids=["posted", "not-posted"])
def test_an_app_home_click_taken_up_after_a_crash_is_posted_once(
    slack: RunningApp, posted: bool
) -> None:
    """A process claimed an App Home click and died, having posted the entry
    or not: taken up again, the click is the one that claimed it, so it
    looks in the DM and posts the entry only if it isn't there."""
    click = _home_click(slack)
    if posted:
        slack.send.action(click)
        slack.fake.wait_delivered("chat.postMessage")
        slack.drain()
    else:  # claimed as the dead process did, nothing sent
        clicked = click["actions"][0]["action_ts"]
        assert slack.store.claim([f"shown:{USER}:{clicked}:skill-cloud"])
    assert 1 == left_by_a_dead_process(slack, click).resume(slack.app)
    slack.drain()
    [post] = slack.fake.delivered("chat.postMessage")
    assert dm_of(USER) == dm_of(post.body["channel"])
    assert slack.fake.delivered("conversations.history")
    assert [] == slack.fake.delivered("response_url")


@pytest.mark.parametrize("posted", [True, False], ids=["posted", "not-posted"])
def test_a_thread_click_taken_up_after_a_crash_is_posted_once(
    slack: RunningApp, posted: bool
) -> None:
    """A related entry goes into the thread through the click's response_url,
    tagged like every reply; the process claimed the click and died, having
    posted it or not. Taken up again, the click looks in the thread and
    posts the entry there only if it isn't there yet."""
    channel, thread_ts = "C0CHAN01", "1699999999.000001"
    url = slack.fake.response_url("thread", channel=channel)
    click = block_action(
        "show_entry:skill-cloud", "skill-cloud", url, thread_ts=thread_ts
    )
    if posted:
        slack.send.action(click)
        slack.fake.wait_delivered("response_url")
        slack.drain()
    else:  # claimed as the dead process did, nothing sent
        once = f"shown:{channel}:{thread_ts}:skill-cloud"
        clicked = click["actions"][0]["action_ts"]
        assert slack.store.claim([once, f"{once}:{USER}:{clicked}"])
    assert 1 == left_by_a_dead_process(slack, click).resume(slack.app)
    slack.drain()
    posts = slack.fake.delivered("response_url")
    assert ["in_channel"] == [c.body["response_type"] for c in posts]
    assert thread_ts == posts[0].body["thread_ts"]
    [look] = slack.fake.delivered("conversations.replies")
    assert thread_ts == look.body["ts"]


def test_a_thread_click_taken_up_where_the_bot_cannot_look_is_shown_privately(
    slack: RunningApp,
) -> None:
    """The same, in a channel the bot can't read (a shared answer in a
    channel it isn't in): it can't tell whether the entry is in the thread,
    so it shows it to the clicker alone, never a second time to everyone."""
    click = block_action(
        "show_entry:skill-cloud",
        "skill-cloud",
        slack.fake.response_url(),
        thread_ts="1.9",
    )
    slack.send.action(click)
    slack.fake.wait_delivered("response_url")
    slack.drain()
    slack.fake.fail_next("conversations.replies", error="not_in_channel")
    assert 1 == left_by_a_dead_process(slack, click).resume(slack.app)
    slack.drain()
    kinds = [c.body["response_type"] for c in slack.fake.delivered("response_url")]
    assert ["in_channel", "ephemeral"] == kinds


def _home_note(slack: RunningApp) -> str:
    """The note first on the person's Home tab as Slack last took it."""
    _, shown = slack.fake.homes[USER]
    return str(shown[0]["elements"][0]["text"])


NOTES = {
    "service_unavailable": (
        "Sorry, I couldn't send *Cloud computing* to our messages just now. "
        "Please click it again in a minute."
    ),
    "messages_tab_disabled": (
        "Sorry, Slack won't let me send *Cloud computing* to our messages "
        "(`messages_tab_disabled`), so clicking again won't help until that is "
        "fixed. Please tell whoever looks after this app."
    ),
}


@pytest.mark.parametrize("error", sorted(NOTES))
def test_an_app_home_entry_slack_refuses_says_so_on_the_tab(
    slack: RunningApp, error: str
) -> None:
    """An App Home click has no response_url for the apology: a post Slack
    refused (surely not sent) publishes the tab again with a note, to click
    again for a refusal that passes, to have the app fixed for one that
    won't. Once Slack takes it, the next click, even within the
    double-click seconds (the first one sent nothing), sends the entry."""
    slack.fake.fail_channel(USER, error)
    slack.send.action(_home_click(slack))
    [published] = slack.fake.wait_delivered("views.publish")
    assert USER == published.body["user_id"]
    assert NOTES[error] == _home_note(slack)
    assert [] == slack.fake.delivered("chat.postMessage")
    slack.fake.fail_channel(USER, "")
    again = _home_click(slack)
    view = published.body["view"]
    again["view"] = json.loads(view) if isinstance(view, str) else view  # the note
    slack.send.action(again)
    [post] = slack.fake.wait_delivered("chat.postMessage")
    slack.drain()
    assert "Cloud computing" in post.text
    # The tab said to click again; once that worked, it says so no more.
    _, cleared = slack.fake.wait_delivered("views.publish", 2)
    view = cleared.body["view"]
    shown = json.loads(view) if isinstance(view, str) else view
    assert "context" != shown["blocks"][0]["type"]


def test_an_app_home_entry_slack_may_have_sent_says_to_look_first(
    slack: RunningApp,
) -> None:
    """Slack answered 500 (it may have posted) and the DM can't be opened
    to look: not sent again, and the tab says to look in the messages
    before clicking again."""
    slack.fake.im_write = False
    slack.fake.fail_next("chat.postMessage", status=500, after_delivery=True)
    slack.send.action(_home_click(slack))
    slack.fake.wait_delivered("views.publish")
    slack.drain()
    assert _home_note(slack) == (
        "Sorry, Slack didn't confirm that *Cloud computing* reached our "
        "messages. If it isn't there, click it again in a minute."
    )
    posts = [c for c in slack.fake.calls if c.method == "chat.postMessage"]
    assert 1 == len(posts)


def test_a_note_never_replaces_a_tab_published_since_the_click(
    slack: RunningApp,
) -> None:
    """The click carries the hash of the tab it was made on: when the tab was
    published again since (the person opened it anew), Slack refuses the
    note (hash_conflict) and the newer tab stays, logged, no traceback."""
    slack.fake.homes[USER] = ("H-newer", [{"type": "divider"}])
    click = _home_click(slack)
    click["view"] = {"id": "V0HOME01", "type": "home", "hash": "H-older"}
    slack.fake.fail_channel(USER, "service_unavailable")
    with capture_logs() as logs:
        slack.send.action(click)
        slack.fake.wait_delivered("views.publish")
        slack.drain()
    assert ("H-newer", [{"type": "divider"}]) == slack.fake.homes[USER]
    [failed] = [e for e in logs if e["event"] == "slack.home_note_failed"]
    assert "hash_conflict" == failed["slack_error"]


def test_a_note_on_the_tab_of_the_click_is_published(slack: RunningApp) -> None:
    """The tab the click was made on, unchanged since: the note goes up."""
    slack.fake.homes[USER] = ("H-same", [{"type": "divider"}])
    click = _home_click(slack)
    click["view"] = {"id": "V0HOME01", "type": "home", "hash": "H-same"}
    slack.fake.fail_channel(USER, "service_unavailable")
    slack.send.action(click)
    slack.fake.wait_delivered("views.publish")
    slack.drain()
    assert NOTES["service_unavailable"] == _home_note(slack)


def test_a_stale_entry_in_app_home_refreshes_the_home_tab(slack: RunningApp) -> None:
    """A button in App Home for an entry a reload removed: the tab is
    published again as it is now, with a note saying why."""
    payload = block_action(
        "show_entry:gone-entry", "gone-entry", slack.fake.response_url()
    )
    payload["container"] = {"type": "view", "view_id": "V0HOME01"}
    payload.pop("channel")
    slack.send.action(payload)
    [published] = slack.fake.wait_delivered("views.publish")
    shown = json.dumps(published.body)
    assert "removed or renamed" in shown
    assert USER == published.body["user_id"]


def test_thumbs_down_asks_why_and_the_report_shows_it(slack: RunningApp) -> None:
    """👎 → thanks with *Tell us why* → a modal (views.open) → its submission
    is kept, and `stpm-bot report` lists it."""
    from bot.answers import gaps

    value = VoteValue("skill-cloud", "is cloud important").encode()
    slack.send.action(block_action("feedback_down", value, slack.fake.response_url()))
    [thanks] = slack.fake.wait_delivered("response_url")
    [why] = [
        e
        for b in thanks.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "feedback_why"
    ]
    slack.send.action(
        block_action("feedback_why", why["value"], slack.fake.response_url())
    )
    [opened] = slack.fake.wait_delivered("views.open")
    view = opened.body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert ("modal", "feedback_reason") == (view["type"], view["callback_id"])
    submission = {
        "type": "view_submission",
        "team": {"id": "T0001", "domain": "example"},
        "user": {"id": USER, "username": "pat", "name": "pat", "team_id": "T0001"},
        "api_app_id": "A0APP001",
        "token": "legacy-verification-token",
        "trigger_id": "2.3.def",
        "view": {
            "id": "V0MODAL01",
            "type": "modal",
            "callback_id": "feedback_reason",
            "private_metadata": view["private_metadata"],
            "state": {
                "values": {
                    "reason": {
                        "choice": {
                            "type": "radio_buttons",
                            "selected_option": {"value": "outdated"},
                        }
                    },
                    "note": {
                        "text": {"type": "plain_text_input", "value": "AWS renamed it"}
                    },
                }
            },
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }
    assert 200 == slack.send.action(submission).status
    slack.drain()
    [reason] = slack.store.reasons()
    assert ("skill-cloud", "outdated", "AWS renamed it") == (
        reason.entry_id,
        reason.reason,
        reason.note,
    )
    knowledge = slack.core.library.snapshot().knowledge
    text = "\n".join(gaps.lines(gaps.build(slack.store, knowledge)))
    assert "skill-cloud: out of date — “AWS renamed it”" in text


def _home_text(call: Call) -> str:
    view = call.body["view"]
    return json.dumps(json.loads(view) if isinstance(view, str) else view)


def test_my_daily_tip_is_switched_and_timed_from_app_home(slack: RunningApp) -> None:
    """App Home offers the daily tip in one's own DM; on, a time, off; each
    click stores it and publishes the tab again as it now is."""
    event = {
        "type": "app_home_opened",
        "user": USER,
        "channel": "D0DM0001",
        "tab": "home",
    }
    slack.send.event(envelope(event))
    [home] = slack.fake.wait_delivered("views.publish")
    assert "Send me the daily tip" in _home_text(home)
    on = block_action("my_tip_on", "09:00", slack.fake.response_url())
    on["container"] = {"type": "view", "view_id": "V0HOME01"}
    slack.send.action(on)
    published = slack.fake.wait_delivered("views.publish", count=2)
    assert "Stop my daily tip" in _home_text(published[1])
    mine = slack.store.subscription(USER)
    assert mine is not None and mine.active and "09:00" == f"{mine.post_time:%H:%M}"
    later = block_action("my_tip_time", "", slack.fake.response_url())
    later["actions"][0] |= {
        "type": "static_select",
        "selected_option": {"value": "14:00"},
    }
    slack.send.action(later)
    slack.fake.wait_delivered("views.publish", count=3)
    mine = slack.store.subscription(USER)
    assert mine is not None and "14:00" == f"{mine.post_time:%H:%M}"
    slack.send.action(block_action("my_tip_off", "off", slack.fake.response_url()))
    slack.fake.wait_delivered("views.publish", count=4)
    mine = slack.store.subscription(USER)
    assert mine is not None and not mine.active


def test_a_time_picked_while_my_tip_is_off_is_kept_for_on(slack: RunningApp) -> None:
    pick = block_action("my_tip_time", "", slack.fake.response_url())
    pick["actions"][0] |= {
        "type": "static_select",
        "selected_option": {"value": "07:00"},
    }
    slack.send.action(pick)
    slack.fake.wait_delivered("views.publish")
    mine = slack.store.subscription(USER)
    assert mine is not None and not mine.active  # still off
    slack.send.action(block_action("my_tip_on", "07:00", slack.fake.response_url()))
    slack.fake.wait_delivered("views.publish", count=2)
    mine = slack.store.subscription(USER)
    assert mine is not None and mine.active and "07:00" == f"{mine.post_time:%H:%M}"


def test_my_tip_switched_on_takes_the_time_showing_in_the_picker(
    slack: RunningApp,
) -> None:
    """The person picked 07:00 but the tab's refresh never came (Slack
    refused it), so the button still carries 09:00: the click's view state
    says 07:00, and the tip is on at 07:00."""
    for _ in range(3):
        slack.fake.fail_next("views.publish", status=500, error="internal_error")
    on = block_action("my_tip_on", "09:00", slack.fake.response_url())
    on["container"] = {"type": "view", "view_id": "V0HOME01"}
    picked = {"type": "static_select", "selected_option": {"value": "07:00"}}
    on["view"] = {"id": "V0HOME01", "state": {"values": {"b": {"my_tip_time": picked}}}}
    slack.send.action(on)
    slack.fake.wait_for(lambda calls: any(c.method == "views.publish" for c in calls))
    slack.drain()
    mine = slack.store.subscription(USER)
    assert mine is not None and mine.active and "07:00" == f"{mine.post_time:%H:%M}"


def test_a_dialog_asked_for_too_late_gets_no_apology(slack: RunningApp) -> None:
    """*Tell us why* whose trigger expired (a click taken up again after a
    restart): Slack refuses the modal; one warning, no "sorry" to the person."""
    value = VoteValue("skill-cloud", "is cloud important").encode()
    slack.fake.fail_next("views.open", error="expired_trigger_id")
    with capture_logs() as logs:
        slack.send.action(
            block_action("feedback_why", value, slack.fake.response_url("why"))
        )
        slack.drain()
    assert [] == slack.fake.delivered("response_url")
    assert [] == slack.fake.delivered("chat.postEphemeral")
    assert any(e["event"] == "slack.too_late_for_a_dialog" for e in logs)
    assert not any(e["event"] == "slack.error" for e in logs)


def _without_user(payload: dict[str, Any]) -> dict[str, Any]:
    del payload["user"]
    return payload


def _view_without_type(_: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "user": {"id": USER},
        "team": {"id": "T0001"},
        "api_app_id": "A0APP001",
        "view": {"id": "V1", "callback_id": "feedback_reason"},
    }


@pytest.mark.parametrize(
    ("broken", "said"),
    [
        (lambda p: {**p, "actions": []}, "without actions"),
        (lambda p: {**p, "actions": None}, "without actions"),
        (lambda p: {**p, "actions": ["a string"]}, "no action_id"),
        (lambda p: {**p, "actions": [{"type": "button"}]}, "no action_id"),
        (_without_user, "without a user id"),
        (_view_without_type, "without a view type"),
    ],
    ids=["empty", "null", "not-an-object", "no-action-id", "no-user", "view-no-type"],
)
def test_a_signed_but_malformed_payload_is_refused_in_one_line(
    slack: RunningApp,
    broken: Callable[[dict[str, Any]], dict[str, Any]],
    said: str,
) -> None:
    """What Slack never sends, signed all the same: 400 and one warning
    naming what is wrong, no traceback, nothing posted or stored."""
    value = VoteValue("skill-cloud", "is cloud important").encode()
    payload = broken(block_action("feedback_up", value, slack.fake.response_url()))
    with capture_logs() as logs:
        response = slack.send.action(payload)
        slack.drain()
    assert 400 == response.status and said in response.body.decode()
    assert [
        said in e.get("problem", "") for e in logs if e["log_level"] != "debug"
    ] == [True]
    assert {c.method for c in slack.fake.calls} <= {"auth.test"}  # nothing said
    assert [] == slack.store.votes()


def test_a_forged_vote_keeps_only_what_the_bot_would_have_put_there(
    slack: RunningApp,
) -> None:
    """A 👎 whose value holds a 200,000-character question: stored cut to
    what a button holds, and *Tell us why* still within Slack's limits."""
    forged = json.dumps({"e": "skill-cloud", "q": "y" * 200_000})
    with capture_logs() as logs:
        slack.send.action(
            block_action("feedback_down", forged, slack.fake.response_url())
        )
        [thanks] = slack.fake.wait_delivered("response_url")
    assert not any(e["event"] == "slack.error" for e in logs)
    [why] = [
        e
        for b in thanks.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "feedback_why"
    ]
    assert len(why["value"]) <= 2000
    slack.drain()
    [vote] = slack.store.votes()
    assert vote.question == "y" * QUESTION_KEY_CHARS
