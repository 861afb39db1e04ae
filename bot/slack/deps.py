"""What the Slack listeners are handed: the answerer, the knowledge, the store."""

from __future__ import annotations

import uuid
from concurrent.futures import Executor
from dataclasses import dataclass

import structlog
from slack_bolt import BoltContext

from bot.answers.asking import Answerer, Asked
from bot.answers.replies import Link, Reply
from bot.answers.schedule import tip_for
from bot.clock import Clock
from bot.knowledge.models import Knowledge, Tip
from bot.search.library import Library
from bot.search.skills import SkillLookup, find_skill
from bot.settings import Settings
from bot.slack.listeners import REQUEST_ID, AckFirst
from bot.store.database import Store
from bot.store.records import Candidate


@dataclass(frozen=True)
class Deps:
    settings: Settings
    answerer: Answerer
    library: Library
    store: Store
    clock: Clock
    executor: Executor  # where listeners' work runs after the ack
    gate: AckFirst

    @property
    def knowledge(self) -> Knowledge:
        """The knowledge now; a listener that needs it twice keeps the result."""
        return self.library.snapshot().knowledge

    def answer(self, question: str, user: str | None = None) -> Reply:
        """The same answer the terminal chat gives; logs one `faq.*` line and
        counts the question (`user` is kept only as a hash)."""
        return self.answerer.answer(question, user)

    def retrieve(self, question: str) -> Asked:
        """`question` ranked, not yet counted (`answerer.settle` counts it)."""
        return self.answerer.retrieve(question)

    def candidates(self, question: str) -> tuple[Candidate, ...]:
        """The entries that best match `question` now, with their scores."""
        return self.retrieve(question).nearest

    @property
    def ask_expert(self) -> bool:
        """Whether "Ask an expert" is offered (STPM_BOT_EXPERTS_CHANNEL is set)."""
        return bool(self.settings.experts_channel)

    def skill(self, name: str) -> tuple[SkillLookup, tuple[Link, ...]]:
        """The skill called `name`, or the closest skills as links."""
        lookup = find_skill(self.knowledge, name)
        by_name = {e.skill.name: e for e in self.knowledge.skills if e.skill}
        links = tuple(
            Link(by_name[n].id, n) for n in lookup.suggestions if n in by_name
        )
        return lookup, links

    def tip(self) -> Tip | None:
        try:
            return tip_for(self.knowledge, self.clock.today())
        except LookupError:
            return None


def bind(context: BoltContext, surface: str) -> None:
    """Bolt runs listeners on a thread pool: start each with fresh log context,
    carrying the HTTP request's id (Socket Mode: a new one per request)."""
    request_id = context.get(REQUEST_ID) or uuid.uuid4().hex[:16]
    context[REQUEST_ID] = request_id
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        request_id=request_id,
        surface=surface,
        team=context.team_id,
        channel=context.channel_id,
    )


class Listeners:
    """A feature's listeners: Bolt calls the bound methods, which find what
    they need in `self.deps`."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
