"""/stpm tips on [HH:MM], off and state, through signed HTTP requests."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.slack.tip_commands import TipsCommand, parse
from bot.store.records import Subscription
from tests.slack.conftest import RunningApp
from tests.support.harness import USER, command

CHANNEL = "C0CHAN01"  # where harness.command sends from


def subscription(slack: RunningApp) -> Subscription:
    """The channel's subscription as stored; the test fails if there is none."""
    found = slack.store.subscription(CHANNEL)
    assert found is not None
    return found


def _stpm(slack: RunningApp, text: str, replies: int = 1, **fields: str) -> str:
    """What the person who typed `/stpm TEXT` sees (privately); `replies`:
    how many messages the command sends (2 when the channel is told too)."""
    slack.fake.reset()
    form = command("/stpm", text, slack.fake.response_url()) | fields
    response = slack.send.command(form)
    assert 200 == response.status
    calls = slack.fake.wait_delivered("response_url", count=replies)
    [call] = [c for c in calls if c.body["response_type"] == "ephemeral"]
    return str(call.body["text"])


def _public(slack: RunningApp) -> list[str]:
    """What the channel saw after the last command."""
    calls = slack.fake.delivered("response_url")
    return [
        str(c.body["text"]) for c in calls if c.body["response_type"] == "in_channel"
    ]


def test_changing_a_channels_tips_is_announced_in_it(slack: RunningApp) -> None:
    """Who switched the tips on or off, and how to undo it, said publicly."""
    _stpm(slack, "tips on", 2)
    [on] = _public(slack)
    assert on.startswith(f"<@{USER}> turned on the daily STPM tip")
    assert "`/stpm tips off`" in on
    _stpm(slack, "tips")  # only looking: nothing public
    assert [] == _public(slack)
    _stpm(slack, "tips off", 2)
    [off] = _public(slack)
    assert off.startswith(f"<@{USER}> turned off") and "`/stpm tips on`" in off


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        ({"status": 404, "error": "expired_url"}, "couldn't tell the channel"),
        (
            {"status": 500, "error": "internal_error", "after_delivery": True},
            "may not have shown the channel",
        ),
    ],
    ids=["refused", "500-after-posting"],
)
def test_a_change_whose_announcement_fails_is_still_reported_done(
    slack: RunningApp, failure: dict[str, Any], said: str
) -> None:
    """The tips are switched before the channel is told: when telling it
    fails, the person still hears the change was made (not "something went
    wrong", which would have them switch, and announce, it again)."""
    slack.fake.reset()
    slack.fake.fail_next("response_url", **failure)
    form = command("/stpm", "tips on 10:30", slack.fake.response_url())
    assert 200 == slack.send.command(form).status
    slack.fake.wait_for(
        lambda calls: any(
            c.method == "response_url" and c.body.get("response_type") == "ephemeral"
            for c in calls
        )
    )
    slack.drain()
    [private] = [
        c
        for c in slack.fake.delivered("response_url")
        if c.body["response_type"] == "ephemeral"
    ]
    assert "10:30" in private.body["text"] and said in private.body["text"]
    assert "went wrong" not in private.body["text"]
    subscription = slack.store.subscription("C0CHAN01")
    assert subscription is not None and dt.time(10, 30) == subscription.post_time


def test_tips_are_refused_in_a_dm_with_the_reason(slack: RunningApp) -> None:
    said = _stpm(slack, "tips on", channel_id="D0DM0002", channel_name="directmessage")
    assert "can't post in a direct message" in said
    assert slack.store.subscription("D0DM0002") is None
    assert [] == _public(slack)


def test_a_custom_time_is_refused_when_a_job_posts_the_tips(
    start_app: Callable[..., RunningApp],
) -> None:
    """With the in-process scheduler off (the daily tips job posts), a time
    per channel would be ignored: refused, saying when tips come."""
    cron = start_app(tips_check_interval=0)
    said = _stpm(cron, "tips on 14:30")
    assert "posted once a day by the daily tips job" in said
    assert cron.store.subscription(CHANNEL) is None
    assert "when the daily tips job runs" in _stpm(cron, "tips on", 2)


def test_tips_on_subscribes_the_channel_at_nine_by_default(slack: RunningApp) -> None:
    """`/stpm tips on`: tips every weekday at 09:00 (UTC), kept in the store."""
    said = _stpm(slack, "tips on", 2)
    assert said.startswith("Daily tips are on in this channel")
    assert "every weekday at 09:00 (UTC)" in said
    assert Subscription(CHANNEL, dt.time(9, 0)) == slack.store.subscription(CHANNEL)


def test_tips_on_with_a_time_and_the_state_shows_it(slack: RunningApp) -> None:
    """`/stpm tips on 14:30`, then `/stpm tips` says 14:30."""
    _stpm(slack, "tips on 14:30", 2)
    said = _stpm(slack, "tips")
    assert "every weekday at 14:30 (UTC)" in said
    assert "`/stpm tips off`" in said


def test_tips_off_stops_them(slack: RunningApp) -> None:
    """`/stpm tips off` after on: off, and the state says how to turn them on."""
    _stpm(slack, "tips on", 2)
    assert _stpm(slack, "tips off", 2).startswith("Daily tips are off in this channel")
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


@pytest.mark.parametrize(
    "text",
    ["tips on <!here>", "tips on <#C0OTHER1|onboarding> 9:30", "tips off <#C0X>"],
)
def test_tips_naming_a_channel_or_here_say_where_tips_go(
    slack: RunningApp, text: str
) -> None:
    """`/stpm tips on @here` or `on #onboarding` changes nothing and says
    that tips are the channel's the command is typed in."""
    said = _stpm(slack, text)
    assert "the channel you type the command in" in said
    assert slack.store.subscription(CHANNEL) is None
    assert slack.store.subscription("C0OTHER1") is None
    assert [] == _public(slack)


def test_tips_on_working_with_someone_is_a_question() -> None:
    assert None is parse("tips on working with", "tips on working with <@U0ANA>")


def test_a_paused_channel_is_told_why_and_how_to_resume(slack: RunningApp) -> None:
    """After Slack refused a post, `/stpm tips` names the reason; on resumes."""
    _stpm(slack, "tips on", 2)
    slack.store.pause(CHANNEL, "not_in_channel")
    said = _stpm(slack, "tips")
    assert "paused" in said and "`not_in_channel`" in said
    _stpm(slack, "tips on", 2)
    assert subscription(slack).receiving


def test_tips_on_a_topic_is_a_question() -> None:
    """ "tips on stakeholder management" is asked, not taken for a bad time."""
    assert None is parse("tips on stakeholder management")
    assert None is parse("tips for new tpms")
    assert None is parse("tips on 1:1 meetings")  # a number, but a subject
    assert None is parse("tips on running 1:1s with engineers")
    for subject in ("1:1", "1:1s", "5G", "B2B", "Q4", "2FA"):
        assert None is parse(f"tips on {subject}")
    for subject in ("python 3.12", "10am standups", "running 9:30 standups"):
        assert None is parse(f"tips on {subject}")
    assert TipsCommand("bad_time", "25:00") == parse("tips on 25:00")
    assert TipsCommand("bad_time", "13pm") == parse("tips on 13pm")
    assert TipsCommand("bad_time", "9") == parse("tips on 9")
    for number in ("0930", "2025", "at 9", "at 0930"):  # an hour? a year?
        assert TipsCommand("bad_time", number) == parse(f"tips on {number}")
    assert TipsCommand("on", "09:30") == parse("Tips on 9:30")
    assert TipsCommand("bad_usage", "now") == parse("tips off now")
    assert TipsCommand("state") == parse("tips")


@pytest.mark.parametrize(
    ("written", "time"),
    [
        ("9:30", "09:30"),
        ("09.30", "09:30"),
        ("9h30", "09:30"),
        ("9am", "09:00"),
        ("9 am", "09:00"),
        ("9:30 p.m.", "21:30"),
        ("12am", "00:00"),
        ("12pm", "12:00"),
        ("at 14:30", "14:30"),
        ("14:30 please", "14:30"),
        ("9am daily", "09:00"),
        ("at 9:30 pm", "21:30"),
        ("9:30pm daily", "21:30"),
        ("2:30 pm, every weekday", "14:30"),
        ("9.30am daily", "09:30"),
        ("9am on weekdays", "09:00"),
        ("at 14:30.", "14:30"),
        ("at 9.30.", "09:30"),
        ("9 p.m.", "21:00"),
    ],
)
def test_a_time_as_people_write_it_sets_the_tips(
    slack: RunningApp, written: str, time: str
) -> None:
    """`/stpm tips on 9am` posts at 09:00, as `/stpm tips on 09:00` does."""
    said = _stpm(slack, f"tips on {written}", 2)
    assert f"at {time} (" in said
    assert f"{subscription(slack).post_time:%H:%M}" == time


def test_tips_naming_this_channel_are_this_channels(slack: RunningApp) -> None:
    """`/stpm tips on #this-channel`, typed in it, turns them on here."""
    said = _stpm(slack, f"tips on <#{CHANNEL}|onboarding> 10:15", 2)
    assert "Daily tips are on in this channel" in said
    assert f"{subscription(slack).post_time:%H:%M}" == "10:15"


def test_tips_naming_another_channel_without_a_verb_say_where_tips_go(
    slack: RunningApp,
) -> None:
    """`/stpm tips #general` is about tips, not a question to search."""
    said = _stpm(slack, "tips <#C0OTHER1|general>")
    assert "the channel you type the command in" in said
    assert parse("tips general", "tips <#C0OTHER1|general>", CHANNEL) == TipsCommand(
        "elsewhere", "tips <#C0OTHER1|general>"
    )


def test_help_mentions_tips(slack: RunningApp) -> None:
    """`/stpm help` lists `/stpm tips on [HH:MM]` and `/stpm tips off`."""
    slack.fake.reset()
    slack.send.command(command("/stpm", "help", slack.fake.response_url()))
    [call] = slack.fake.wait_delivered("response_url")
    shown = json.dumps(call.body["blocks"])
    assert "/stpm tips on [HH:MM]" in shown and "/stpm tips off" in shown


def test_tips_off_in_my_dm_stops_my_own_daily_tip(slack: RunningApp) -> None:
    """The personal tip's footer says `/stpm tips off` works in the DM: it does."""
    import datetime as dt

    slack.store.subscribe(USER, dt.time(9, 0), source="home")
    said = _stpm(slack, "tips off", channel_id="D0DM0001", channel_name="directmessage")
    assert said.startswith("Your daily tip is off")
    mine = slack.store.subscription(USER)
    assert mine is not None and not mine.active


def test_tips_in_my_dm_shows_my_own_daily_tip(slack: RunningApp) -> None:
    """`/stpm tips` in the DM with the bot: the person's own tip (on from
    App Home), not a channel's that can't exist there."""
    dm = {"channel_id": "D0DM0001", "channel_name": "directmessage"}
    said = _stpm(slack, "tips", 1, **dm)
    assert said.startswith("Your daily tip is off") and "Home tab" in said
    slack.store.subscribe(USER, dt.time(7, 30), source="home")
    said = _stpm(slack, "tips", 1, **dm)
    assert said.startswith("Your daily tip is on") and "07:30" in said
    assert "every weekday" in said
