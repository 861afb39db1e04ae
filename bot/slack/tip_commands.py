"""`/stpm tips [on [HH:MM] | off]`: a channel's daily tip, switched and shown.

"/stpm tips on stakeholder management" is a question, not a bad time: only
an argument written like a time ("9:30", "25:00", "9am", "9 pm", "0930"),
alone or among words said around times ("at 14:30", "9:30 pm daily"), is
taken for a time (and checked as one: a bare number is none); "tips on 1:1
meetings", "tips on 5G", "tips on python 3.12" and "tips on 10am standups"
are questions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from bot.settings import Settings, parse_hhmm
from bot.store.database import Store
from bot.store.records import Subscription
from bot.text.markup import echo

_COMMAND = re.compile(r"tips(?:\s+(on|off|status|state)(?:\s+(.*))?)?", re.I)
# A time as people write one: 9:30, 09.30, 9h30, 9am, 9 p.m., 0930.
_TIME = re.compile(r"\d{1,2}(?:[:.h]\d{2})?\s*(?:[ap]\.?m\.?)?|\d{3,4}", re.I)
# Said around a time ("at 14:30", "9:30 pm daily"): the argument is a time
# when the other words are only these; "tips on python 3.12" and "tips on
# 10am standups" are questions.
_AROUND_A_TIME = frozenset(
    "at around from on please pls daily every each day weekday weekdays".split()
)
_CLOCK = re.compile(
    r"(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?:(?P<half>[ap])\.?m\.?)?", re.I
)

# A channel, person, group or broadcast as Slack escapes it in a command.
_REFERENCE = re.compile(r"<[@#!][^>]*>")

Action = Literal["state", "on", "off", "bad_time", "bad_usage", "elsewhere"]
_VERBS: dict[str, Action] = {
    "on": "on",
    "off": "off",
    "status": "state",
    "state": "state",
}


@dataclass(frozen=True)
class TipsCommand:
    action: Action
    argument: str = ""


def clock(written: str) -> dt.time:
    """A time of day as people write one ("9:30", "9.30", "9am", "9:30 pm",
    "14:30"); raises `ValueError` for one that isn't ("25:00", "13pm"), and
    for a bare number ("9", "0930", "2025": an hour, a year?)."""
    match = _CLOCK.fullmatch(written.strip())
    if match is None or (match["m"] is None and match["half"] is None):
        raise ValueError(written)
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["half"] is not None:
        if not 1 <= hour <= 12:
            raise ValueError(written)
        hour = hour % 12 + (12 if match["half"].lower() == "p" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(written)
    return dt.time(hour, minute)


def _written_time(argument: str) -> str | None:
    """The time `argument` gives, alone or among words said around times
    ("at 14:30", "9:30 pm daily"); None when it is a subject."""
    words = [w for w in re.split(r"[\s,!]+", argument) if w]
    kept = [w for w in words if w.lower().rstrip(".") not in _AROUND_A_TIME]
    said = " ".join(kept)
    for time in (said, said.rstrip(".")):  # "at 14:30." ends a sentence
        if time and _TIME.fullmatch(time):
            return time
    return None


def _here(reference: str, channel: str) -> bool:
    """`reference` names the channel the command was typed in."""
    return bool(channel) and reference.split("|")[0].rstrip(">") == f"<#{channel}"


def parse(text: str, raw: str = "", channel: str = "") -> TipsCommand | None:
    """The tips command in `/stpm TEXT`, or None when TEXT is a question;
    `raw`: the command's text as Slack sent it (a channel or @here named
    in it is gone from `text`); `channel`: the channel it was typed in."""
    named = _REFERENCE.findall(raw)
    elsewhere = [r for r in named if not _here(r, channel)]
    if named:
        text = _REFERENCE.sub(" ", raw)
    match = _COMMAND.fullmatch(" ".join(text.split()))
    if match is None:
        return None
    action = _VERBS[(match[1] or "state").lower()]
    argument = (match[2] or "").strip()
    time = _written_time(argument) if argument else None
    if elsewhere:
        # "tips on #onboarding", "tips #onboarding", "tips on @here 9:30":
        # tips are the channel's the command is typed in, and name nobody.
        # Anything else around a name ("tips on working with @ana") is a
        # question.
        if not argument or time is not None:
            return TipsCommand("elsewhere", raw.strip())
        return None
    if not argument:
        return TipsCommand(action)
    if action != "on":
        return TipsCommand("bad_usage", argument)
    if time is None:
        return None  # "tips on stakeholder management", "tips on 1:1s": asked
    try:
        return TipsCommand("on", f"{clock(time):%H:%M}")
    except ValueError:
        return TipsCommand("bad_time", argument)


def _my_state(sub: Subscription | None, settings: Settings) -> str:
    """`/stpm tips` in a DM: the person's own daily tip (App Home's)."""
    if sub is None or not sub.active:
        return (
            "Your daily tip is off. *Send me the daily tip* in my Home tab turns "
            "it on; channels get tips with `/stpm tips on` there."
        )
    paused = f" It is paused: {sub.paused_reason}." if sub.paused_reason else ""
    return (
        f"Your daily tip is on: {_schedule(sub, settings)}, in your messages "
        f"with me.{paused} `/stpm tips off` here, or my Home tab, stops it."
    )


def _schedule(sub: Subscription, settings: Settings) -> str:
    if not settings.tips_check_interval:
        return "one tip a day, when the daily tips job runs"
    days = "every day" if settings.tips_weekends else "every weekday"
    return f"one tip {days} at {sub.post_time:%H:%M} ({settings.timezone})"


def state(sub: Subscription | None, settings: Settings) -> str:
    """What `/stpm tips` says about a channel."""
    if sub is None or not sub.active:
        return (
            "Daily tips are off in this channel. "
            "Turn them on with `/stpm tips on [HH:MM]`."
        )
    if sub.paused_reason:
        return (
            f"Daily tips are paused in this channel: Slack answered "
            f"`{sub.paused_reason}` when I posted. Invite me to the channel, "
            "then turn them on again with `/stpm tips on`."
        )
    return (
        f"Daily tips are on in this channel: {_schedule(sub, settings)}. "
        "Stop them with `/stpm tips off`."
    )


@dataclass(frozen=True)
class Outcome:
    """What to tell the person who typed the command, and, when a channel's
    tips changed, what to tell the channel (who did it, "{user}", and how to
    undo it)."""

    private: str
    public: str = ""


def handle(
    command: TipsCommand,
    channel: str,
    store: Store,
    settings: Settings,
    user: str = "",
    channel_name: str = "",
) -> Outcome:
    """Carry out `command` for `channel`, typed by `user`."""
    if command.action == "bad_time":
        return Outcome(
            f"“{echo(command.argument, 40)}” is not a time of day. Use "
            "`/stpm tips on HH:MM`, e.g. `/stpm tips on 09:30` or `/stpm tips on 2pm`."
        )
    if command.action == "elsewhere":
        return Outcome(
            "Tips go to the channel you type the command in, and name nobody: "
            "run `/stpm tips on [HH:MM]` or `/stpm tips off` in that channel."
        )
    if command.action == "bad_usage":
        return Outcome("Use `/stpm tips`, `/stpm tips on [HH:MM]` or `/stpm tips off`.")
    changing = command.action in ("on", "off")
    in_a_dm = is_a_dm(channel, channel_name)
    if in_a_dm and not changing:  # no channel here: the person's own tip
        if not user:
            return Outcome("I can't tell whose daily tip to show; see my Home tab.")
        return Outcome(_my_state(store.subscription(user), settings))
    # In a DM, "off" is the person's own daily tip (kept under their user id).
    if command.action == "off" and in_a_dm and user and store.unsubscribe(user):
        return Outcome("Your daily tip is off. Turn it on again in my Home tab.")
    if changing and in_a_dm:
        return Outcome(
            "Daily tips go to channels: I can't post in a direct message between "
            "people. Run `/stpm tips on` in the channel that should get them."
        )
    if command.action == "on":
        if command.argument and not settings.tips_check_interval:
            return Outcome(
                "Tips here are posted once a day by the daily tips job, at the "
                "time it runs, so a channel can't choose its own time. Use "
                "`/stpm tips on` (no time) to get them then."
            )
        store.subscribe(channel, parse_hhmm(command.argument or settings.tips_time))
        sub = store.subscription(channel)
        hint = " If I'm not a member of this channel yet, invite me (`/invite`)."
        public = (
            "{user} turned on the daily STPM tip in this channel: "
            f"{_schedule(sub, settings) if sub else 'one tip a day'}. "
            "Anyone can stop it with `/stpm tips off`."
        )
        return Outcome(state(sub, settings) + hint, public if user else "")
    if command.action == "off":
        if not store.unsubscribe(channel):
            return Outcome("Daily tips were not on in this channel.")
        public = (
            "{user} turned off the daily STPM tip in this channel. "
            "Turn it back on with `/stpm tips on`."
        )
        return Outcome(
            "Daily tips are off in this channel. Turn them back on with "
            "`/stpm tips on`.",
            public if user else "",
        )
    return Outcome(state(store.subscription(channel), settings))


def is_a_dm(channel: str, channel_name: str) -> bool:
    """A direct message (one to one, or a group DM): not a channel for tips."""
    return (
        channel.startswith("D")
        or channel_name in ("directmessage", "mpdm")
        or (channel_name.startswith("mpdm-"))
    )
