"""The terminal chat: the Slack conversation, in a terminal.

Questions go through the same `Answerer` as Slack's; `/show ID` (or `/ID`, or
the number of a suggestion) is the terminal's equivalent of clicking a button.
Input and output are parameters so tests drive a real session without a tty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.answers.asking import Answerer
from bot.answers.followup import more_about, nothing_more, nothing_yet, wants_more
from bot.answers.replies import Reply, entry_reply
from bot.answers.schedule import tip_for
from bot.cli.render import HELP, render, render_skills, render_tip, skill_not_found
from bot.clock import Clock
from bot.compose import Core
from bot.knowledge.models import Knowledge
from bot.search.library import Library
from bot.search.skills import find_skill, format_skill

BANNER = (
    "stpm-bot terminal chat. Ask a question; type help for commands, quit to leave."
)
PROMPT = "you> "
QUIT = frozenset({"quit", "exit", "/quit", "/exit"})
HELP_WORDS = frozenset({"help", "/help", "?"})


LISTED = "Try other words, or ask about one of the topics I listed above."


@dataclass
class Chat:
    """One conversation; remembers the last suggestions so `1` can open one,
    and the last answer and what "tell me more" has shown of it since."""

    answerer: Answerer
    library: Library
    clock: Clock
    choices: list[str] = field(default_factory=list)
    topic: str = ""
    shown: list[str] = field(default_factory=list)
    listed: bool = False  # the topics it knows were listed once already

    @classmethod
    def of(cls, core: Core) -> Chat:
        return cls(core.answerer, core.library, core.clock)

    def respond(self, line: str) -> str | None:
        """The reply to one line of input; None means the user wants to leave."""
        text = line.strip()
        if text.lower() in QUIT:
            return None
        if text.lower() in HELP_WORDS:
            return HELP
        if text.startswith("/"):
            return self.command(text[1:])
        if text.isdigit() and len(text) < 3:
            return self.choose(int(text))
        if wants_more(text):
            return self.more() if self.topic else nothing_yet(bool(self.choices))
        reply = self.answerer.answer(line)
        if not reply.closing:  # "thanks" leaves the suggestions and topic be
            self.choices = [s.id for s in reply.suggestions]
        self._remember(reply)
        if reply.outcome == "no_match" and reply.topics:
            if self.listed:  # once a conversation is enough for the list
                shown = render(replace(reply, topics=()))
                return f"{shown}\n{LISTED}"
            self.listed = True
        return render(reply)

    def _remember(self, reply: Reply) -> None:
        """The topic "tell me more" goes on with: the last answer's; none
        after a "did you mean" or an "I don't know" ("thanks" changes
        nothing)."""
        if reply.outcome == "answered" and reply.entry_id:
            self.topic = reply.entry_id
            self.shown = [reply.entry_id, *(p.entry_id for p in reply.also)]
        elif not reply.closing and reply.outcome != "empty":
            self.topic, self.shown = "", []

    def more(self) -> str:
        """The next entry about the last answer's topic."""
        knowledge = self.knowledge
        reply = more_about(knowledge, self.topic, self.shown)
        if reply is None:
            return nothing_more(knowledge, self.topic)
        self.shown.append(reply.entry_id)
        return render(reply)

    def command(self, text: str) -> str:
        name, _, arg = text.partition(" ")
        name, arg = name.lower(), arg.strip()
        if name == "skill":
            return self.skill(arg) if arg else render_skills(self.knowledge.skills)
        if name == "tip":
            if arg:
                return (
                    "/tip shows today's tip; for another day: stpm-bot tip --date DATE"
                )
            return self.tip()
        if name == "show":
            return self.show(arg)
        if name in self.knowledge.by_id:
            return self.show(name)
        return f"Unknown command /{name}. Type help for the commands."

    @property
    def knowledge(self) -> Knowledge:
        return self.library.snapshot().knowledge

    def skill(self, name: str) -> str:
        found = find_skill(self.knowledge, name)
        if found.entry is None:
            return skill_not_found(name, found.suggestions)
        return format_skill(found.entry)

    def tip(self) -> str:
        date = self.clock.today()
        knowledge = self.knowledge
        try:
            return render_tip(knowledge, tip_for(knowledge, date), date)
        except LookupError:
            return "There are no tips in the knowledge yet."

    def choose(self, number: int) -> str:
        if 0 < number <= len(self.choices):
            return self.show(self.choices[number - 1])
        if self.choices:
            return f"There is no suggestion {number}: pick 1 to {len(self.choices)}."
        return (
            f"There is no suggestion {number} to open: a number picks from a "
            "“did you mean” list."
        )

    def show(self, entry_id: str) -> str:
        entry = self.knowledge.by_id.get(entry_id.strip().lstrip("/"))
        if entry is None:
            return f"No entry with id {entry_id!r}. Type help for the commands."
        reply = entry_reply(self.knowledge, entry)
        self._remember(reply)
        return render(reply)


def run(
    chat: Chat,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    interactive: bool = False,
) -> int:
    """Read lines until EOF, Ctrl-C or quit; the prompt only on a terminal."""
    write(BANNER)
    prompt = PROMPT if interactive else ""
    while True:
        try:
            line = read(prompt)
        except (EOFError, KeyboardInterrupt):
            if interactive:
                write("")
            return 0
        reply = chat.respond(line)
        if reply is None:
            return 0
        write(reply + "\n")
