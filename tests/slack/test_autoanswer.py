"""Help channels: `/stpm autoanswer on|off` and answers without a mention."""

from __future__ import annotations

import json
from typing import Any

from tests.slack.conftest import RunningApp
from tests.support.harness import USER, block_action, command, envelope, message

HELP = "C0HELP001"


def stpm(
    slack: RunningApp, text: str, replies: int = 1, **fields: str
) -> list[dict[str, object]]:
    slack.fake.reset()
    form = (
        command("/stpm", text, slack.fake.response_url())
        | {"channel_id": HELP}
        | fields
    )
    slack.send.command(form)
    return [c.body for c in slack.fake.wait_delivered("response_url", count=replies)]


def in_help(text: str, **extra: Any) -> dict[str, Any]:
    return message(text, channel=HELP, channel_type="channel", **extra)


def test_switching_is_announced_and_remembered(slack: RunningApp) -> None:
    said = stpm(slack, "autoanswer on", replies=2)
    public = [b for b in said if b["response_type"] == "in_channel"]
    assert 1 == len(public)
    assert str(public[0]["text"]).startswith(f"<@{USER}> turned on automatic answers")
    assert slack.store.autoanswer(HELP)
    [state] = stpm(slack, "autoanswer")
    assert "on in this channel" in str(state["text"])
    [again] = stpm(slack, "autoanswer on")
    assert "already on" in str(again["text"])
    stpm(slack, "autoanswer off", replies=2)
    assert not slack.store.autoanswer(HELP)


def test_refused_in_a_dm(slack: RunningApp) -> None:
    [said] = stpm(
        slack, "autoanswer on", channel_id="D0DM0009", channel_name="directmessage"
    )
    assert "for channels" in str(said["text"])
    assert not slack.store.autoanswer("D0DM0009")


def test_a_help_channel_gets_confident_answers_in_a_thread(slack: RunningApp) -> None:
    """Only confident answers to top-level questions from people, mentioning
    nobody else; never in a channel that didn't opt in."""
    slack.send.event(envelope(in_help("how important is cybersecurity for an stpm?")))
    stpm(slack, "autoanswer on", replies=2)  # the question before this: unanswered
    question = in_help("how important is cybersecurity for an stpm?")
    skipped = [
        in_help("what's the wifi password?"),  # no confident answer
        in_help("<@U0OTHER1> how important is cloud computing?"),  # to someone else
        in_help("how important is cloud computing?", bot_id="B0OTHER1"),
        in_help("how important is cloud computing?", subtype="message_changed"),
        in_help("cloud computing is important"),  # a remark
        message(
            "how important is cloud computing?",
            channel="C0CHAN01",
            channel_type="channel",
        ),
    ]
    for event in (*skipped, question):
        slack.send.event(envelope(event))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    assert (HELP, question["ts"]) == (post.body["channel"], post.body["thread_ts"])
    assert "hide_answer" in json.dumps(post.body["blocks"])


def test_a_help_channel_question_naming_two_skills_is_answered(
    slack: RunningApp,
) -> None:
    """One question about two skills is no question in parts: answered in
    its thread, both skills in the answer."""
    stpm(slack, "autoanswer on", replies=2)
    slack.send.event(
        envelope(in_help("how important are cloud and security for a sr tpm?"))
    )
    [post] = slack.fake.wait_delivered("chat.postMessage")
    shown = json.dumps(post.body["blocks"])
    assert "Cloud computing" in shown and "Cybersecurity" in shown
    slack.drain()
    topic = slack.store.topic_of(HELP, str(post.body["thread_ts"]))
    assert topic is not None  # "tell me more" there won't show either again
    assert {"skill-cloud", "skill-cybersecurity"} <= set(topic.shown)


def test_not_helpful_hides_the_answer_and_counts_as_a_gap(slack: RunningApp) -> None:
    stpm(slack, "autoanswer on", replies=2)
    slack.fake.reset()
    slack.send.event(envelope(in_help("how important is cybersecurity for an stpm?")))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    [hide] = [
        e
        for b in post.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "hide_answer"
    ]
    click = block_action(
        "hide_answer",
        hide["value"],
        slack.fake.response_url(),
        channel=HELP,
        message_ts="1700000000.000777",
    )
    slack.send.action(click)
    [deleted] = slack.fake.wait_delivered("chat.delete")
    assert (HELP, "1700000000.000777") == (deleted.body["channel"], deleted.body["ts"])
    slack.drain()
    [vote] = slack.store.votes()
    assert (-1, "skill-cybersecurity") == (vote.vote, vote.entry_id)


def test_a_second_hide_of_a_removed_answer_gets_no_apology(slack: RunningApp) -> None:
    """The answer is gone (a double-click, or someone hid it first): Slack
    says message_not_found, and the clicker is told it was already removed."""
    stpm(slack, "autoanswer on", replies=2)
    slack.fake.reset()
    slack.send.event(envelope(in_help("how important is cybersecurity for an stpm?")))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    [hide] = [
        e
        for b in post.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "hide_answer"
    ]
    slack.fake.fail_next("chat.delete", error="message_not_found")
    click = block_action(
        "hide_answer",
        hide["value"],
        slack.fake.response_url("again"),
        channel=HELP,
        message_ts="1700000000.000777",
    )
    slack.send.action(click)
    [told] = slack.fake.wait_delivered("response_url")
    slack.drain()
    assert "already removed" in told.body["text"]
    assert "went wrong" not in told.body["text"]
