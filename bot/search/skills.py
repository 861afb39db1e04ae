"""Look up a technical skill by the name people type ("AI/ML", "infra", "cyber").

Exact match on a skill's name or alias first (as typed, then through the
knowledge's synonyms), then a typo-tolerant match with
rapidfuzz. `token_sort_ratio` (not `WRatio` or `token_set_ratio`): those score a
query that merely contains or is contained in a short alias ("a" ~ "aws",
"ml ops" ~ "ml") at 90-100, which would name a skill nobody asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.knowledge.models import Entry, Knowledge, skill_key
from bot.text.normalize import Normalizer

FUZZY_CUTOFF = 85.0
MAX_SUGGESTIONS = 3
MIN_CLIPPED = 3  # letters a clipped word needs ("sec", "infra")


@dataclass(frozen=True)
class SkillLookup:
    """The skill entry found, or None with the closest skill names."""

    entry: Entry | None
    suggestions: tuple[str, ...] = ()


def _keys(knowledge: Knowledge) -> dict[str, Entry]:
    """Every name and alias, in comparable form, to its entry (first one wins)."""
    keys: dict[str, Entry] = {}
    for entry in knowledge.skills:
        names = (entry.skill.name, *entry.skill.aliases) if entry.skill else ()
        for name in names:
            keys.setdefault(skill_key(name), entry)
    return keys


def _names(entries: list[Entry]) -> tuple[str, ...]:
    return tuple(e.skill.name for e in entries if e.skill is not None)


def find_skill(knowledge: Knowledge, name: str) -> SkillLookup:
    """The skill called `name` (or an alias, or a near-typo of either)."""
    key = skill_key(name)
    if not key:
        return SkillLookup(None, _names(list(knowledge.skills)))
    keys = _keys(knowledge)
    # The knowledge's synonyms too: "sec" -> "cybersecurity".
    expanded = skill_key(Normalizer(knowledge.synonyms).normalize(name).text)
    for candidate in (key, expanded):
        if candidate in keys:
            return SkillLookup(keys[candidate])
    clipped = _by_word_starts(key, keys)
    if clipped is not None:
        return SkillLookup(clipped)
    ranked = process.extract(
        key, list(keys), scorer=fuzz.token_sort_ratio, processor=None, limit=None
    )
    if ranked and ranked[0][1] >= FUZZY_CUTOFF:
        return SkillLookup(keys[ranked[0][0]])
    closest = list(dict.fromkeys(keys[k] for k, _, _ in ranked))
    return SkillLookup(None, _names(closest[:MAX_SUGGESTIONS]))


def _by_word_starts(key: str, keys: dict[str, Entry]) -> Entry | None:
    """The one skill whose name or an alias has a word starting with each
    word typed ("cybersec", "network infra", "data anal"), if only one has."""
    typed = [w for w in key.split() if len(w) >= MIN_CLIPPED]
    if not typed or len(typed) != len(key.split()):
        return None
    found = {
        id(entry): entry
        for name, entry in keys.items()
        if all(any(word.startswith(t) for word in name.split()) for t in typed)
    }
    return next(iter(found.values())) if len(found) == 1 else None


def format_skill(entry: Entry) -> str:
    """'Cybersecurity: High'."""
    if entry.skill is None:
        raise ValueError(f"entry {entry.id!r} is not a skill")
    return entry.skill.line
