"""/stpm and /skill: acknowledged at once, answered privately via response_url."""

from __future__ import annotations

import json
import time

from tests.slack.conftest import RunningApp, left_by_a_dead_process
from tests.support.harness import USER, block_action, command


def _respond(slack: RunningApp, name: str, text: str) -> dict[str, object]:
    response = slack.send.command(command(name, text, slack.fake.response_url("cmd")))
    assert 200 == response.status
    [call] = slack.fake.wait_delivered("response_url")
    return call.body


def test_stpm_answers_privately_with_a_share_button(slack: RunningApp) -> None:
    """/stpm QUESTION: an ephemeral answer with a "Share in channel" button."""
    body = _respond(slack, "/stpm", "how important is cybersecurity for an stpm?")
    blocks = json.dumps(body["blocks"])
    assert "ephemeral" == body["response_type"]
    assert "Share in channel" in blocks
    assert "feedback:skill-cybersecurity" in blocks


def test_stpm_help_shows_the_introduction(slack: RunningApp) -> None:
    """/stpm help (and a bare /stpm) explains how to ask."""
    body = _respond(slack, "/stpm", "help")
    assert "/skill" in str(body["text"])


def test_stpm_echoes_the_question_without_pinging(slack: RunningApp) -> None:
    """The private answer repeats the question with mentions made inert."""
    body = _respond(slack, "/stpm", "<!here> what is the wifi password?")
    assert "<!here>" not in json.dumps(body)


def test_share_posts_the_answer_in_the_channel(slack: RunningApp) -> None:
    """The share button posts the answer publicly and removes the private one."""
    body = _respond(slack, "/stpm", "how important is cybersecurity for an stpm?")
    share = next(
        e
        for b in body["blocks"]  # type: ignore[attr-defined]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "share_answer"
    )
    slack.fake.reset()
    payload = block_action(
        "share_answer", share["value"], slack.fake.response_url("share"), ephemeral=True
    )
    assert 200 == slack.send.action(payload).status
    public, delete = slack.fake.wait_delivered("response_url", count=2)
    assert "in_channel" == public.body["response_type"]
    assert "feedback:skill-cybersecurity" in json.dumps(public.body["blocks"])
    assert f"Shared by <@{USER}>" in json.dumps(public.body["blocks"])
    assert "Asked with /stpm" in json.dumps(public.body["blocks"])
    assert delete.body["delete_original"] is True


def test_skill_by_alias(slack: RunningApp) -> None:
    """/skill cyber security → the skill's importance."""
    body = _respond(slack, "/skill", "cyber security")
    assert "ephemeral" == body["response_type"]
    assert "Cybersecurity: High" == body["text"]


def test_skill_without_a_name_shows_the_table(slack: RunningApp) -> None:
    """/skill alone lists every technical skill with its importance."""
    body = _respond(slack, "/skill", "")
    blocks = json.dumps(body["blocks"])
    for name in ("Cloud computing", "Cybersecurity", "Data analytics"):
        assert name in blocks


def test_unknown_skill_suggests_close_ones(slack: RunningApp) -> None:
    """/skill with an unknown name says so and offers the closest skills."""
    body = _respond(slack, "/skill", "basket weaving")
    assert "I don't know a skill called" in str(body["text"])
    assert "show_entry:skill-" in json.dumps(body["blocks"])


def test_an_escaped_broadcast_in_stpm_is_dropped_not_matched(slack: RunningApp) -> None:
    """With should_escape, Slack sends "@channel" as <!channel>: it is not
    part of the question, and never echoed live."""
    body = _respond(
        slack, "/stpm", "<!channel> how important is cybersecurity for an stpm?"
    )
    shown = json.dumps(body)
    assert "feedback:skill-cybersecurity" in shown
    assert "<!channel>" not in shown


def _button(body: dict[str, object], action_id: str) -> dict[str, str]:
    return next(
        e
        for b in body["blocks"]  # type: ignore[attr-defined]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(action_id)
    )


def test_a_double_clicked_share_posts_the_answer_once(slack: RunningApp) -> None:
    """Two clicks of one private answer's *Share in channel* (each its own
    click, as a double-click sends them, at once): one public post."""
    body = _respond(slack, "/stpm", "how important is cybersecurity for an stpm?")
    share = _button(body, "share_answer")
    slack.fake.reset()
    clicks = [
        block_action(
            "share_answer",
            share["value"],
            slack.fake.response_url(f"share{i}"),
            ephemeral=True,
        )
        for i in range(2)
    ]
    for click in clicks:
        assert 200 == slack.send.action(click).status
    slack.drain()
    public = [
        c
        for c in slack.fake.delivered("response_url")
        if c.body.get("response_type") == "in_channel"
    ]
    assert 1 == len(public)


def test_a_share_slack_refused_can_be_clicked_again(slack: RunningApp) -> None:
    """A share whose response_url Slack refused posted nothing: the next
    click shares it."""
    body = _respond(slack, "/stpm", "how important is cybersecurity for an stpm?")
    share = _button(body, "share_answer")
    slack.fake.reset()
    slack.fake.fail_next("response_url", status=404, error="expired_url")
    for i in range(2):
        click = block_action(
            "share_answer",
            share["value"],
            slack.fake.response_url(f"s{i}"),
            ephemeral=True,
        )
        assert 200 == slack.send.action(click).status
        deadline = time.monotonic() + 5
        while slack.store.backlog()[0]:  # until the click's work is done
            assert time.monotonic() < deadline
            time.sleep(0.01)
    public = [
        c
        for c in slack.fake.delivered("response_url")
        if c.body.get("response_type") == "in_channel"
    ]
    assert 1 == len(public)


def test_a_share_slack_may_have_posted_says_to_look_and_is_not_repeated(
    slack: RunningApp,
) -> None:
    """Slack posted the share and answered 500: the clicker is told to look
    in the channel (no "something went wrong"), and a click again says it
    is shared already instead of posting it twice."""
    body = _respond(slack, "/stpm", "how important is cybersecurity for an stpm?")
    share = _button(body, "share_answer")
    slack.fake.reset()
    slack.fake.fail_next(
        "response_url", status=500, error="internal_error", after_delivery=True
    )
    told: list[str] = []

    def private(hook: str) -> list[str]:
        return [
            str(c.body["text"])
            for c in slack.fake.delivered("response_url")
            if c.path == f"/hooks/{hook}" and c.body.get("response_type") == "ephemeral"
        ]

    for i in range(2):
        hook = f"s{i}"
        click = block_action(
            "share_answer",
            share["value"],
            slack.fake.response_url(hook),
            ephemeral=True,
        )
        assert 200 == slack.send.action(click).status
        deadline = time.monotonic() + 5
        while not private(hook):
            assert time.monotonic() < deadline, "no private note"
            time.sleep(0.01)
        told += private(hook)
    slack.drain()
    public = [
        c
        for c in slack.fake.delivered("response_url")
        if c.body.get("response_type") == "in_channel"
    ]
    assert 1 == len(public)
    assert "look there" in told[0] and "already shared" in told[1]
    assert not any("went wrong" in t for t in told)


def test_a_share_taken_up_after_its_process_died_says_to_look(
    slack: RunningApp,
) -> None:
    """The process that took the Share click died once it had claimed it,
    having posted or not: taken up again from the outbox, the click posts
    nothing more and tells the clicker to look in the channel, never that
    it is shared already."""
    body = _respond(slack, "/stpm", "how important is cybersecurity for an stpm?")
    share = _button(body, "share_answer")
    slack.fake.reset()
    click = block_action(
        "share_answer", share["value"], slack.fake.response_url("s0"), ephemeral=True
    )
    slack.send.action(click)
    slack.fake.wait_delivered("response_url", count=2)  # the share, the delete
    slack.drain()
    slack.fake.reset()
    assert 1 == left_by_a_dead_process(slack, click).resume(slack.app)
    slack.drain()
    [told] = slack.fake.delivered("response_url")
    assert "ephemeral" == told.body["response_type"]
    assert "can't tell whether" in told.body["text"]
    assert "look there" in told.body["text"]


def test_an_entry_picked_from_did_you_mean_is_the_answer_to_the_question(
    slack: RunningApp,
) -> None:
    """Picked from "did you mean", the entry is shown, voted on and shared
    as the answer to what was asked: a 👎 gives the curators the asker's
    words, and the shared post says how it was asked."""
    question = "how do i grow"
    body = _respond(slack, "/stpm", question)
    assert "Did you mean" in str(body["text"])
    choice = _button(body, "show_entry")
    slack.fake.reset()
    pick = block_action(
        choice["action_id"],
        choice["value"],
        slack.fake.response_url("c"),
        ephemeral=True,
    )
    assert 200 == slack.send.action(pick).status
    [entry] = slack.fake.wait_delivered("response_url")
    assert f"You asked: “{question}”" in json.dumps(
        entry.body["blocks"], ensure_ascii=False
    )
    down = _button(entry.body, "feedback_down")
    share = _button(entry.body, "share_answer")
    slack.fake.reset()
    vote = block_action(
        down["action_id"], down["value"], slack.fake.response_url("v"), ephemeral=True
    )
    assert 200 == slack.send.action(vote).status
    shared = block_action(
        "share_answer", share["value"], slack.fake.response_url("s"), ephemeral=True
    )
    assert 200 == slack.send.action(shared).status
    slack.drain()
    public = next(
        c
        for c in slack.fake.delivered("response_url")
        if c.body.get("response_type") == "in_channel"
    )
    assert f"Asked with /stpm: “{question}”" in json.dumps(
        public.body["blocks"], ensure_ascii=False
    )
    assert [question] == [
        g.question for g in slack.store.gaps() if g.source == "downvote"
    ]


def test_tips_on_a_subject_with_a_number_is_a_question(slack: RunningApp) -> None:
    """ "tips on 1:1 meetings" asks for advice; "tips on 25:00" is a bad time."""
    body = _respond(slack, "/stpm", "tips on 1:1 meetings with engineers")
    assert "not a time of day" not in str(body["text"])
    slack.fake.reset()
    body = _respond(slack, "/stpm", "tips on 25:00")
    assert "not a time of day" in str(body["text"])


def test_a_two_part_question_joined_by_an_ampersand_gets_both_answers(
    slack: RunningApp,
) -> None:
    """Slack sends "&" as "&amp;": it joins two questions like "and"."""
    body = _respond(
        slack, "/stpm", "what skills do STPMs need &amp; how do they stay current?"
    )
    shown = json.dumps(body["blocks"])
    assert "feedback:key-skills" in shown
    assert "*Stay current with technologies and trends*" in shown
