"""/stpm and /skill: acknowledged at once, answered privately via response_url."""

from __future__ import annotations

import json

from tests.slack.conftest import RunningApp
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
