"""What the Slack listeners are handed: the services and the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from slack_bolt import BoltContext

from bot import faq
from bot.app import Services
from bot.knowledge import Knowledge, Tip
from bot.replies import Link, Reply
from bot.skills import SkillLookup, find_skill
from bot.store import Store
from bot.tips import tip_for


def _today() -> dt.date:
    return dt.date.today()


@dataclass(frozen=True)
class Deps:
    services: Services
    store: Store
    today: Callable[[], dt.date] = field(default=_today)

    @property
    def knowledge(self) -> Knowledge:
        return self.services.knowledge

    def answer(self, question: str) -> Reply:
        """The same answer the terminal chat gives; logs one `faq.*` line."""
        return faq.answer(self.services, question)

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
            return tip_for(self.knowledge, self.today())
        except LookupError:
            return None


def bind(context: BoltContext, surface: str) -> None:
    """Bolt runs listeners on a thread pool: start each with fresh log context."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        surface=surface, team=context.team_id, channel=context.channel_id
    )
