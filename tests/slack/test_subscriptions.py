"""/stpm tips on [HH:MM], off and state, through signed HTTP requests."""

from __future__ import annotations

import datetime as dt
import json

from bot.slack.tip_commands import TipsCommand, parse
from bot.store.records import Subscription
from tests.slack.conftest import RunningApp
from tests.support.harness import command

CHANNEL = "C0CHAN01"  # where harness.command sends from


def subscription(slack: RunningApp) -> Subscription:
    """The channel's subscription as stored; the test fails if there is none."""
    found = slack.store.subscription(CHANNEL)
    assert found is not None
    return found


def _stpm(slack: RunningApp, text: str) -> str:
    """What the person who typed `/stpm TEXT` sees (privately)."""
    slack.fake.reset()
    response = slack.send.command(command("/stpm", text, slack.fake.response_url()))
    assert 200 == response.status
    [call] = slack.fake.wait_delivered("response_url")
    assert "ephemeral" == call.body["response_type"]
    return str(call.body["text"])


def test_tips_on_subscribes_the_channel_at_nine_by_default(slack: RunningApp) -> None:
    """`/stpm tips on`: tips every weekday at 09:00 (UTC), kept in the store."""
    said = _stpm(slack, "tips on")
    assert said.startswith("Daily tips are on in this channel")
    assert "every weekday at 09:00 (UTC)" in said
    assert Subscription(CHANNEL, dt.time(9, 0)) == slack.store.subscription(CHANNEL)


def test_tips_on_with_a_time_and_the_state_shows_it(slack: RunningApp) -> None:
    """`/stpm tips on 14:30`, then `/stpm tips` says 14:30."""
    _stpm(slack, "tips on 14:30")
    said = _stpm(slack, "tips")
    assert "every weekday at 14:30 (UTC)" in said
    assert "`/stpm tips off`" in said


def test_tips_off_stops_them(slack: RunningApp) -> None:
    """`/stpm tips off` after on: off, and the state says how to turn them on."""
    _stpm(slack, "tips on")
    assert _stpm(slack, "tips off").startswith("Daily tips are off in this channel")
    assert not subscription(slack).active
    assert "`/stpm tips on [HH:MM]`" in _stpm(slack, "tips")
    assert "Daily tips were not on in this channel." == _stpm(slack, "tips off")


def test_a_bad_time_gets_a_clear_message_and_changes_nothing(
    slack: RunningApp,
) -> None:
    """`/stpm tips on 25:00` explains the format; no subscription is made."""
    said = _stpm(slack, "tips on 25:00")
    assert said.startswith("“25:00” is not a time of day")
    assert "`/stpm tips on 09:30`" in said
    assert slack.store.subscription(CHANNEL) is None


def test_a_bad_time_is_echoed_without_pinging(slack: RunningApp) -> None:
    """Whatever was typed as the time is shown inert."""
    slack.fake.reset()
    slack.send.command(
        command("/stpm", "tips on 9 <!channel>", slack.fake.response_url())
    )
    [call] = slack.fake.wait_delivered("response_url")
    assert "<!channel>" not in json.dumps(call.body)


def test_a_paused_channel_is_told_why_and_how_to_resume(slack: RunningApp) -> None:
    """After Slack refused a post, `/stpm tips` names the reason; on resumes."""
    _stpm(slack, "tips on")
    slack.store.pause(CHANNEL, "not_in_channel")
    said = _stpm(slack, "tips")
    assert "paused" in said and "`not_in_channel`" in said
    _stpm(slack, "tips on")
    assert subscription(slack).receiving


def test_tips_on_a_topic_is_a_question() -> None:
    """ "tips on stakeholder management" is asked, not taken for a bad time."""
    assert None is parse("tips on stakeholder management")
    assert None is parse("tips for new tpms")
    assert TipsCommand("on", "9:30") == parse("Tips on 9:30")
    assert TipsCommand("bad_time", "9am") == parse("tips on 9am")
    assert TipsCommand("bad_usage", "now") == parse("tips off now")
    assert TipsCommand("state") == parse("tips")


def test_help_mentions_tips(slack: RunningApp) -> None:
    """`/stpm help` lists `/stpm tips on [HH:MM]` and `/stpm tips off`."""
    slack.fake.reset()
    slack.send.command(command("/stpm", "help", slack.fake.response_url()))
    [call] = slack.fake.wait_delivered("response_url")
    shown = json.dumps(call.body["blocks"])
    assert "/stpm tips on [HH:MM]" in shown and "/stpm tips off" in shown
