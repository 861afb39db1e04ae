"""Measure answer quality on a labelled question set (`stpm-bot eval FILE`),
and check that the knowledge's own phrasings find their entries.

A set is YAML: `in_scope: [{q: str, expect: [id, ...]}]` and
`out_of_scope: [str]`. Top-1 counts a question as right only when the bot
answers confidently and its first answer is one of `expect`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.loading import Problem, compose, repeated_keys
from bot.search.retriever import Retriever


@dataclass(frozen=True)
class Miss:
    question: str
    expected: tuple[str, ...]
    got: str
    score: float


@dataclass
class Scorecard:
    in_scope: int = 0
    top1: int = 0
    out_of_scope: int = 0
    refused: int = 0
    misses: list[Miss] = field(default_factory=list)
    false_answers: list[Miss] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.in_scope if self.in_scope else 0.0

    @property
    def refused_rate(self) -> float:
        return self.refused / self.out_of_scope if self.out_of_scope else 0.0


def load_set(path: Path) -> tuple[list[tuple[str, tuple[str, ...]]], list[str]]:
    """A labelled question set; `ValueError` if a key is given twice, as YAML
    would silently keep only the last `in_scope:`."""
    text = path.read_text(encoding="utf-8")
    root, data = compose(text)  # as knowledge is read: no aliases
    repeated = [str(p) for p in repeated_keys(root, str(path))]
    if repeated:
        raise ValueError("; ".join(repeated))
    data = data or {}
    labelled = [
        (str(item["q"]), tuple(str(x) for x in item["expect"]))
        for item in data.get("in_scope", [])
    ]
    return labelled, [str(q) for q in data.get("out_of_scope", [])]


def evaluate(
    retriever: Retriever,
    labelled: list[tuple[str, tuple[str, ...]]],
    out_of_scope: list[str],
) -> Scorecard:
    report = Scorecard(in_scope=len(labelled), out_of_scope=len(out_of_scope))
    for question, expected in labelled:
        result = retriever.ask(question)
        best = result.best
        if best and best.entry.id in expected:
            report.top1 += 1
            continue
        top = best or (result.suggestions[0] if result.suggestions else None)
        got = f"{result.status}:{top.entry.id}" if top else result.status
        report.misses.append(Miss(question, expected, got, top.score if top else 0.0))
    for question in out_of_scope:
        result = retriever.ask(question)
        if result.best is None:
            report.refused += 1
        else:
            report.false_answers.append(
                Miss(question, (), result.best.entry.id, result.best.score)
            )
    return report


def crossed_phrasings(retriever: Retriever) -> list[Problem]:
    """A warning for each phrasing that, asked word for word, doesn't get its
    own entry as the confident first answer: another entry answers it, or it
    only gets "did you mean" (a rival too close, or a score under the
    threshold). Usually two entries have phrasings that mean the same once
    synonyms and filler words are gone; reword one or move it."""
    problems = []
    for entry in retriever.knowledge.entries:
        for question in entry.questions:
            result = retriever.ask(question)
            best = result.best
            if best is not None and best.entry.id == entry.id:
                continue
            if best is not None:
                what = f"is answered by {best.entry.id} ({best.score:.1f})"
            elif result.suggestions:
                offered = ", ".join(
                    f"{m.entry.id} {m.score:.1f}" for m in result.suggestions
                )
                what = f'only gets "did you mean" ({offered})'
            else:
                what = "gets no answer"
            message = f'"{question}" {what}: reword it or move it'
            problems.append(Problem(entry.file, message, entry.id, entry.line, True))
    return problems
