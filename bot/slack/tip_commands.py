"""`/stpm tips [on [HH:MM] | off]`: a channel's daily tip, switched and shown.

"/stpm tips on stakeholder management" is a question, not a bad time: only
an argument with a digit in it is taken for a time (and checked as one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.settings import Settings, parse_hhmm
from bot.store.database import Store
from bot.store.records import Subscription
from bot.text.markup import echo

_COMMAND = re.compile(r"tips(?:\s+(on|off|status|state)(?:\s+(.*))?)?", re.I)

Action = Literal["state", "on", "off", "bad_time", "bad_usage"]
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


def parse(text: str) -> TipsCommand | None:
    """The tips command in `/stpm TEXT`, or None when TEXT is a question."""
    match = _COMMAND.fullmatch(text.strip())
    if match is None:
        return None
    action = _VERBS[(match[1] or "state").lower()]
    argument = (match[2] or "").strip()
    if not argument:
        return TipsCommand(action)
    if action != "on":
        return TipsCommand("bad_usage", argument)
    if not any(c.isdigit() for c in argument):
        return None  # "tips on stakeholder management": a question
    try:
        parse_hhmm(argument)
    except ValueError:
        return TipsCommand("bad_time", argument)
    return TipsCommand("on", argument)


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


def handle(command: TipsCommand, channel: str, store: Store, settings: Settings) -> str:
    """Carry out `command` for `channel`; what to tell the person who typed it."""
    if command.action == "bad_time":
        return (
            f"“{echo(command.argument, 40)}” is not a time of day. Use "
            "`/stpm tips on HH:MM` with a 24-hour time, e.g. `/stpm tips on 09:30`."
        )
    if command.action == "bad_usage":
        return "Use `/stpm tips`, `/stpm tips on [HH:MM]` or `/stpm tips off`."
    if command.action == "on":
        store.subscribe(channel, parse_hhmm(command.argument or settings.tips_time))
        hint = " If I'm not a member of this channel yet, invite me (`/invite`)."
        return state(store.subscription(channel), settings) + hint
    if command.action == "off":
        if not store.unsubscribe(channel):
            return "Daily tips were not on in this channel."
        return (
            "Daily tips are off in this channel. "
            "Turn them back on with `/stpm tips on`."
        )
    return state(store.subscription(channel), settings)
