"""The message shortcut "Ask STPM Bot", end to end over signed HTTP."""

from __future__ import annotations

import json
from typing import Any

from tests.slack.conftest import RunningApp
from tests.support.fake_slack import TEAM_ID
from tests.support.harness import USER, block_action


def message_action(
    text: str, response_url: str, thread_ts: str | None = None
) -> dict[str, Any]:
    """A `message_action` payload, as Slack sends it for a message shortcut."""
    message: dict[str, Any] = {
        "type": "message",
        "user": "U0ASKER01",
        "ts": "1700000000.000500",
        "text": text,
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "message_action",
        "token": "legacy-verification-token",
        "action_ts": "1700000100.000001",
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": USER, "name": "pat"},
        "channel": {"id": "C0OTHER01", "name": "help"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": "ask_stpm_bot",
        "trigger_id": "1.2.abc",
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": message,
    }


def test_the_shortcut_answers_privately_and_shares_in_the_thread(
    slack: RunningApp,
) -> None:
    """The answer to someone's question goes to whoever used the shortcut;
    *Share in thread* posts it under that message for everyone."""
    payload = message_action(
        "<@U0OTHER1> how important is cybersecurity for an stpm?",
        slack.fake.response_url("shortcut"),
    )
    assert 200 == slack.send.action(payload).status
    [private] = slack.fake.wait_delivered("response_url")
    assert "ephemeral" == private.body["response_type"]
    shown = json.dumps(private.body["blocks"])
    assert "feedback:skill-cybersecurity" in shown
    [share] = [
        e
        for b in private.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "share_in_thread"
    ]
    slack.fake.reset()
    click = block_action(
        "share_in_thread",
        share["value"],
        slack.fake.response_url("share"),
        ephemeral=True,
    )
    slack.send.action(click)
    public, removed = slack.fake.wait_delivered("response_url", count=2)
    assert ("in_channel", "1700000000.000500") == (
        public.body["response_type"],
        public.body["thread_ts"],
    )
    assert f"Shared by <@{USER}>" in json.dumps(public.body["blocks"])
    assert "Asked with the Ask STPM Bot shortcut" in json.dumps(public.body["blocks"])
    assert removed.body["delete_original"] is True
    assert [] == slack.fake.delivered("chat.postMessage")  # works where the bot isn't


def test_the_shortcut_on_a_message_without_words_says_so(slack: RunningApp) -> None:
    slack.send.action(message_action("", slack.fake.response_url()))
    [note] = slack.fake.wait_delivered("response_url")
    assert "no words I can answer" in note.body["text"]


def test_the_shortcut_on_an_unanswerable_message_offers_no_share(
    slack: RunningApp,
) -> None:
    slack.send.action(
        message_action("what's the wifi password", slack.fake.response_url())
    )
    [note] = slack.fake.wait_delivered("response_url")
    assert "share_in_thread" not in json.dumps(note.body.get("blocks", []))


def test_a_double_clicked_share_in_thread_posts_once(slack: RunningApp) -> None:
    """Two clicks of *Share in thread* at once (a double-click): one post."""
    payload = message_action(
        "how important is cybersecurity for an stpm?",
        slack.fake.response_url("shortcut"),
    )
    assert 200 == slack.send.action(payload).status
    [private] = slack.fake.wait_delivered("response_url")
    [share] = [
        e
        for b in private.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "share_in_thread"
    ]
    slack.fake.reset()
    for i in range(2):
        click = block_action(
            "share_in_thread",
            share["value"],
            slack.fake.response_url(f"share{i}"),
            ephemeral=True,
        )
        assert 200 == slack.send.action(click).status
    slack.drain()
    public = [
        c
        for c in slack.fake.delivered("response_url")
        if c.body.get("response_type") == "in_channel"
    ]
    assert 1 == len(public)


def test_an_entry_opened_from_the_shortcut_s_answer_is_shared_in_the_thread(
    slack: RunningApp,
) -> None:
    """A *Related* entry opened from the shortcut's private answer, then
    *Share in channel*: it goes under the message the shortcut was used on,
    like the answer's own *Share in thread*."""
    payload = message_action(
        "how important is cybersecurity for an stpm?",
        slack.fake.response_url("shortcut"),
        thread_ts="1700000000.000400",
    )
    assert 200 == slack.send.action(payload).status
    [private] = slack.fake.wait_delivered("response_url")
    related = next(
        e
        for b in private.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("show_entry")
    )
    slack.fake.reset()
    opened = block_action(
        related["action_id"],
        related["value"],
        slack.fake.response_url("related"),
        ephemeral=True,
    )
    assert 200 == slack.send.action(opened).status
    [entry] = slack.fake.wait_delivered("response_url")
    share = next(
        e
        for b in entry.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "share_answer"
    )
    slack.fake.reset()
    click = block_action(
        "share_answer", share["value"], slack.fake.response_url("share"), ephemeral=True
    )
    assert 200 == slack.send.action(click).status
    public, _ = slack.fake.wait_delivered("response_url", count=2)
    slack.drain()
    assert ("in_channel", "1700000000.000400") == (
        public.body["response_type"],
        public.body.get("thread_ts"),
    )
