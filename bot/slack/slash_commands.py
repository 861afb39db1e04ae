"""Slash commands: `/stpm [question]`, `/stpm tips …` and `/skill [name]`,
answered privately."""

from __future__ import annotations

import re
from typing import Any

import structlog
from slack_bolt import App, BoltContext, Respond

from bot.slack import blocks, tip_commands
from bot.slack.client import never_sent
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen
from bot.slack.respond import ResponseUrlError
from bot.text.markup import is_greeting, question_from

AUTOANSWER = re.compile(r"autoanswer(?:\s+(on|off))?", re.IGNORECASE)


def _announced(respond: Respond, note: blocks.Message) -> str:
    """Tell the channel of a change already made; what to add to the private
    reply when that failed (the change stands either way, so a failed
    announcement is no reason to say the command failed, nor to run it
    again)."""
    try:
        respond(response_type="in_channel", **note.as_kwargs())
    except (ResponseUrlError, OSError) as error:
        structlog.get_logger().warning(
            "slack.announcement_failed", error=str(error)[:200]
        )
        unsure = error.status >= 500 if isinstance(error, ResponseUrlError) else True
        if unsure and not never_sent(error):
            return " (Slack may not have shown the channel who changed it.)"
        return " (I couldn't tell the channel who changed it.)"
    return ""


class Commands(Listeners):
    def on_stpm(
        self,
        body: dict[str, Any],
        command: dict[str, Any],
        respond: Respond,
        context: BoltContext,
    ) -> None:
        bind(context, "/stpm")
        question = question_from(command.get("text", ""))
        tips = tip_commands.parse(
            question, command.get("text", ""), command.get("channel_id", "")
        )
        auto = AUTOANSWER.fullmatch(question.strip())
        if auto is not None:
            message = self._autoanswer(command, auto[1], respond)
        elif tips is not None:
            outcome = tip_commands.handle(
                tips,
                command["channel_id"],
                self.deps.store,
                self.deps.settings,
                command.get("user_id", ""),
                command.get("channel_name", ""),
            )
            said = outcome.private
            if outcome.public:  # the channel sees who changed its tips
                note = blocks.announcement(outcome.public, command.get("user_id", ""))
                said += _announced(respond, note)
            # It may show back what was typed (a time that isn't one).
            message = blocks.notice(said, echoes=True)
        elif is_greeting(question):
            message = blocks.intro()
        else:
            reply = self.deps.answer(question, command.get("user_id"))
            message = blocks.for_reply(
                reply, private=True, ask_expert=self.deps.ask_expert
            )
        respond(response_type="ephemeral", **message.as_kwargs())

    def _autoanswer(
        self, command: dict[str, Any], switch: str | None, respond: Respond
    ) -> blocks.Message:
        """`/stpm autoanswer [on|off]`: a help channel, announced when changed."""
        channel, user = command["channel_id"], command.get("user_id", "")
        if tip_commands.is_a_dm(channel, command.get("channel_name", "")):
            return blocks.notice(
                "Automatic answers are for channels, not direct messages."
            )
        store = self.deps.store
        if switch is None:
            state = "on" if store.autoanswer(channel) else "off"
            return blocks.notice(
                f"Automatic answers are {state} in this channel. "
                "`/stpm autoanswer on` or `off` switches them."
            )
        enabled = switch.lower() == "on"
        if not store.set_autoanswer(channel, enabled, user):
            return blocks.notice(
                f"Automatic answers were already {switch.lower()} here."
            )
        public = (
            "{user} turned on automatic answers in this channel: I'll answer "
            "questions I'm confident about in a thread, without being mentioned. "
            "Anyone can turn them off with `/stpm autoanswer off`."
            if enabled
            else "{user} turned off automatic answers in this channel; mention me "
            "to ask. `/stpm autoanswer on` turns them back on."
        )
        note = blocks.announcement(public, user)
        announced = _announced(respond, note)
        hint = " If I'm not a member of this channel yet, invite me (`/invite`)."
        return blocks.notice(
            f"Done: automatic answers are {switch.lower()} here."
            + (hint if enabled else "")
            + announced
        )

    def on_skill(
        self,
        body: dict[str, Any],
        command: dict[str, Any],
        respond: Respond,
        context: BoltContext,
    ) -> None:
        bind(context, "/skill")
        name = question_from(command.get("text", ""))
        lookup, options = self.deps.skill(name)
        if not name or name.lower() in {"help", "all", "list"}:
            message = blocks.skills_table(self.deps.knowledge)
        elif lookup.entry is not None:
            message = blocks.skill(lookup.entry, self.deps.knowledge)
        else:
            message = blocks.unknown_skill(name, options)
        respond(response_type="ephemeral", **message.as_kwargs())


# Each slash command and the `Commands` method that answers it; the manifest
# declares exactly these (its test reads this table).
COMMANDS = {"/stpm": "on_stpm", "/skill": "on_skill"}


def register(app: App, deps: Deps) -> None:
    commands = Commands(deps)
    for name, method in COMMANDS.items():
        listen(app.command(name), getattr(commands, method), deps.executor, deps.gate)
