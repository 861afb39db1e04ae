"""Slash commands: `/stpm [question]`, `/stpm tips …` and `/skill [name]`,
answered privately."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext, Respond

from bot.slack import blocks, tip_commands
from bot.slack.deps import Deps, Listeners, bind
from bot.slack.listeners import listen
from bot.text.markup import is_greeting, question_from


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
        tips = tip_commands.parse(question)
        if tips is not None:
            outcome = tip_commands.handle(
                tips,
                command["channel_id"],
                self.deps.store,
                self.deps.settings,
                command.get("user_id", ""),
                command.get("channel_name", ""),
            )
            if outcome.public:  # the channel sees who changed its tips
                note = blocks.announcement(outcome.public, command.get("user_id", ""))
                respond(response_type="in_channel", **note.as_kwargs())
            message = blocks.notice(outcome.private)
        elif is_greeting(question):
            message = blocks.intro()
        else:
            reply = self.deps.answer(question, command.get("user_id"))
            message = blocks.for_reply(
                reply, private=True, ask_expert=self.deps.ask_expert
            )
        respond(response_type="ephemeral", **message.as_kwargs())

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
