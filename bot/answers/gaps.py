"""The knowledge-gap report: what people asked that the bot could not answer,
which answers they found unhelpful, and how often the bot answered at all.

Built from the store (`Store.gaps`, `Store.votes`, `Store.question_counts`)
by plain functions, so the terminal, `--json` and the Slack digest show the
same figures.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from bot.knowledge.models import Knowledge
from bot.store.database import Store
from bot.store.records import Candidate, Gap, Reason, Vote
from bot.text.normalize import normalize

# Two questions whose sorted content words are this similar (0-100) are one
# group: "whats the wifi password?" and "wifi password please".
SIMILARITY = 80.0
TOP_GROUPS = 10
MAX_REASONS = 20
# The 👎 modal's choices, as the report names them.
REASONS = {
    "wrong": "wrong or off-topic answer",
    "outdated": "out of date",
    "shallow": "not detailed enough",
    "other": "something else",
}
EXAMPLES = 3


@dataclass(frozen=True)
class GapGroup:
    question: str  # the most frequent wording
    count: int
    sources: dict[str, int]
    examples: tuple[str, ...]  # other wordings
    nearest: Candidate | None  # the entry that came closest, at its best


@dataclass(frozen=True)
class Downvoted:
    entry_id: str
    title: str
    down: int
    up: int
    questions: tuple[str, ...]


@dataclass(frozen=True)
class GapReport:
    since: dt.date | None
    counts: dict[str, int]
    groups: tuple[GapGroup, ...]
    downvoted: tuple[Downvoted, ...]
    votes: dict[str, int] = field(default_factory=dict)
    reasons: tuple[Reason, ...] = ()  # why 👎, newest last

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def rate(self, *statuses: str) -> float:
        hits = sum(self.counts.get(s, 0) for s in statuses)
        return hits / self.total if self.total else 0.0


def _key(question: str) -> str:
    """Content words, sorted: word order and filler don't split a group.
    Always sorted words, so `fuzz.ratio` on keys is `token_sort_ratio`
    without sorting both for every pair."""
    norm = normalize(question)
    return " ".join(sorted(set(norm.tokens) or norm.text.split()))


def _nearest(gaps: Sequence[Gap]) -> Candidate | None:
    tops = [g.candidates[0] for g in gaps if g.candidates]
    if not tops:
        return None
    entry, _ = Counter(c.entry_id for c in tops).most_common(1)[0]
    return Candidate(entry, max(c.score for c in tops if c.entry_id == entry))


def _summary(gaps: Sequence[Gap]) -> GapGroup:
    wordings = Counter(g.question for g in gaps).most_common()
    return GapGroup(
        question=wordings[0][0],
        count=len(gaps),
        sources=dict(Counter(g.source for g in gaps)),
        examples=tuple(w for w, _ in wordings[1 : EXAMPLES + 1]),
        nearest=_nearest(gaps),
    )


def group_gaps(gaps: Sequence[Gap], limit: int = TOP_GROUPS) -> tuple[GapGroup, ...]:
    """Similar questions together, the most frequent groups first."""
    by_key: dict[str, list[Gap]] = defaultdict(list)
    for gap in gaps:
        by_key[_key(gap.question)].append(gap)
    keys: list[str] = []
    members: list[list[Gap]] = []
    for key, same in sorted(by_key.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        found = process.extractOne(
            key, keys, scorer=fuzz.ratio, score_cutoff=SIMILARITY
        )
        if found is None:
            keys.append(key)
            members.append(list(same))
        else:
            members[found[2]].extend(same)
    groups = sorted(
        (_summary(m) for m in members), key=lambda g: (-g.count, g.question)
    )
    return tuple(groups[:limit])


def downvoted(votes: Sequence[Vote], knowledge: Knowledge) -> tuple[Downvoted, ...]:
    """Entries with at least one 👎, the most 👎 first."""
    by_entry: dict[str, list[Vote]] = defaultdict(list)
    for vote in votes:
        by_entry[vote.entry_id].append(vote)
    found = []
    for entry_id, entry_votes in by_entry.items():
        down = [v for v in entry_votes if v.vote < 0]
        if not down:
            continue
        entry = knowledge.by_id.get(entry_id)
        asked = Counter(v.question for v in down).most_common(EXAMPLES)
        found.append(
            Downvoted(
                entry_id,
                entry.title if entry else "(no longer in the knowledge)",
                len(down),
                len(entry_votes) - len(down),
                tuple(q for q, _ in asked),
            )
        )
    return tuple(sorted(found, key=lambda d: (-d.down, d.entry_id)))


def build(
    store: Store,
    knowledge: Knowledge,
    since: dt.date | None = None,
    zone: dt.tzinfo = dt.UTC,
) -> GapReport:
    """The report over everything recorded since local midnight of `since`."""
    start = None
    if since is not None:
        start = dt.datetime.combine(since, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    votes = store.votes(start)
    return GapReport(
        since=since,
        counts=store.question_counts(start),
        groups=group_gaps(store.gaps(start)),
        downvoted=downvoted(votes, knowledge),
        votes={
            "up": sum(v.vote > 0 for v in votes),
            "down": sum(v.vote < 0 for v in votes),
        },
        reasons=tuple(store.reasons(start)[-MAX_REASONS:]),
    )


def _candidate_json(candidate: Candidate | None) -> dict[str, Any] | None:
    if candidate is None:
        return None
    return {"id": candidate.entry_id, "score": candidate.score}


def as_json(report: GapReport) -> dict[str, Any]:
    """The `report --json` contract."""
    counts = {s: report.counts.get(s, 0) for s in ("answered", "suggested", "no_match")}
    return {
        "since": report.since.isoformat() if report.since else None,
        "questions": {
            "total": report.total,
            **counts,
            "answered_rate": round(report.rate("answered"), 4),
            "not_answered_rate": round(report.rate("suggested", "no_match"), 4),
        },
        "feedback": report.votes,
        "unanswered": [
            {
                "question": g.question,
                "count": g.count,
                "sources": g.sources,
                "examples": list(g.examples),
                "nearest": _candidate_json(g.nearest),
            }
            for g in report.groups
        ],
        "reasons": [
            {
                "id": r.entry_id,
                "question": r.question,
                "reason": r.reason,
                "note": r.note,
            }
            for r in report.reasons
        ],
        "downvoted": [
            {
                "id": d.entry_id,
                "title": d.title,
                "down": d.down,
                "up": d.up,
                "questions": list(d.questions),
            }
            for d in report.downvoted
        ],
    }


def _percent(part: float) -> str:
    return f"{part * 100:.0f}%"


def _group_line(group: GapGroup, quote: Callable[[str], str]) -> str:
    near = ""
    if group.nearest is not None:
        near = f" (nearest: {group.nearest.entry_id}, {group.nearest.score:g})"
    line = f"{group.count} asked “{quote(group.question)}”{near}"
    if group.examples:
        line += "; also: " + "; ".join(f"“{quote(e)}”" for e in group.examples)
    return line


def lines(report: GapReport, quote: Callable[[str], str] = str) -> list[str]:
    """The report as lines of text; `quote` makes what users typed safe to show."""
    since = f" since {report.since.isoformat()}" if report.since else ""
    not_answered = report.total - report.counts.get("answered", 0)
    out = [
        f"Questions{since}: {report.total}; answered "
        f"{report.counts.get('answered', 0)} ({_percent(report.rate('answered'))}), "
        f"not answered {not_answered} "
        f"({_percent(report.rate('suggested', 'no_match'))}: "
        f"{report.counts.get('suggested', 0)} with suggestions, "
        f"{report.counts.get('no_match', 0)} with no match).",
        f"Feedback: {report.votes.get('up', 0)} 👍, {report.votes.get('down', 0)} 👎.",
        "",
        "Most frequent unanswered questions:",
    ]
    out += [f"  {_group_line(g, quote)}" for g in report.groups] or ["  none"]
    out += ["", "Entries with the most 👎:"]
    out += [
        f"  {d.down} 👎, {d.up} 👍: {d.entry_id} ({d.title}); asked as "
        + "; ".join(f"“{quote(q)}”" for q in d.questions)
        for d in report.downvoted
    ] or ["  none"]
    out += ["", "Why 👎 (the latest):"]
    out += [
        f"  {r.entry_id}: {REASONS.get(r.reason, r.reason)}"
        + (f" — “{quote(r.note)}”" if r.note else "")
        + f" (asked “{quote(r.question)}”)"
        for r in report.reasons
    ] or ["  none"]
    return out
