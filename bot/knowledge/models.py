"""The curated knowledge as validated models: entries, skills and tips."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.text.markup import clean_slack
from bot.text.normalize import fold

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_FILLER = frozenset({"and", "the", "of"})
_WORD = re.compile(r"[a-z0-9]+")


class Importance(StrEnum):
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


class Skill(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    importance: Importance
    aliases: tuple[str, ...] = ()

    @field_validator("importance", mode="before")
    @classmethod
    def _capitalized(cls, value: object) -> object:
        return value.strip().capitalize() if isinstance(value, str) else value

    @property
    def line(self) -> str:
        """'Cybersecurity: High': how a skill is shown everywhere."""
        return f"{self.name}: {self.importance.value}"


def skill_key(name: str) -> str:
    """Comparable form of a skill name: folded words, no punctuation or fillers."""
    words = _WORD.findall(fold(clean_slack(name)))
    return " ".join(w for w in words if w not in _FILLER)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    title: str = Field(min_length=1, max_length=150)
    answer: str
    questions: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    source: str = ""
    skill: Skill | None = None
    owner: str | None = None
    review_by: dt.date | None = None
    file: str = ""
    line: int = 0

    _answer_not_blank = field_validator("answer", "title")(_not_blank)


class Tip(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    text: str
    related: str | None = None
    file: str = ""
    line: int = 0

    _text_not_blank = field_validator("text")(_not_blank)


@dataclass(frozen=True)
class Knowledge:
    entries: tuple[Entry, ...]
    tips: tuple[Tip, ...]
    synonyms: dict[str, tuple[str, ...]] = field(repr=False)
    by_id: dict[str, Entry] = field(repr=False)

    @classmethod
    def of(
        cls,
        entries: Iterable[Entry],
        tips: Iterable[Tip] = (),
        synonyms: dict[str, tuple[str, ...]] | None = None,
    ) -> Knowledge:
        items = tuple(entries)
        return cls(items, tuple(tips), synonyms or {}, {e.id: e for e in items})

    @property
    def skills(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.skill is not None)

    def related(self, entry: Entry) -> tuple[Entry, ...]:
        return tuple(self.by_id[i] for i in entry.related if i in self.by_id)
