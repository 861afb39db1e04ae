"""Measure answer quality on a labelled question set (`stpm-bot eval FILE`),
and check that the knowledge's own phrasings find their entries.

A set is YAML: `in_scope: [{q: str, expect: [id, ...]}]` and
`out_of_scope: [str]`. Top-1 counts a question as right only when the bot
answers confidently and its first answer is one of `expect`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

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
    """A labelled question set; `ValueError` naming the file and line of
    each mistake: a key given twice (YAML would silently keep only the last
    `in_scope:`), `out_of_scope` not a list of questions, an `in_scope`
    item without its question or its entry ids. `expect` may be one id."""
    text = path.read_text(encoding="utf-8")
    root, _ = compose(text)  # as knowledge is read: no aliases
    problems = [str(p) for p in repeated_keys(root, str(path))]
    if problems:
        raise ValueError("; ".join(problems))
    if root is None:
        return [], []
    if not isinstance(root, yaml.MappingNode):
        raise ValueError(
            f"{_at(path, root)}: not a labelled question set ({SET_SHAPE})"
        )
    labelled: list[tuple[str, tuple[str, ...]]] = []
    out_of_scope: list[str] = []
    for key, value in root.value:
        if key.value == "in_scope":
            labelled = _in_scope(path, value, problems)
        elif key.value == "out_of_scope":
            out_of_scope = _questions(path, value, "out_of_scope", problems)
        else:  # "out_of_scop:": its questions would count for nothing
            close = difflib.get_close_matches(str(key.value), SET_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                f"{_at(path, key)}: unknown key {key.value!r} (a set has "
                f"in_scope and out_of_scope){hint}"
            )
    if problems:
        raise ValueError("; ".join(problems[:5]) + _more(len(problems) - 5))
    return labelled, out_of_scope


SET_KEYS = ("in_scope", "out_of_scope")
SET_SHAPE = "expected in_scope: [{q, expect: [ids]}] and out_of_scope: [questions]"


def _at(path: Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _more(count: int) -> str:
    return f" (and {count} more)" if count > 0 else ""


def _text(node: yaml.Node) -> str | None:
    """A scalar's text, or None for an empty one or a list or mapping."""
    if isinstance(node, yaml.ScalarNode) and node.value.strip():
        return str(node.value)
    return None


def _questions(path: Path, node: yaml.Node, key: str, problems: list[str]) -> list[str]:
    if _text(node) is None and isinstance(node, yaml.ScalarNode):
        return []  # `out_of_scope:` with nothing under it
    if not isinstance(node, yaml.SequenceNode):
        problems.append(f"{_at(path, node)}: {key} must be a list of questions")
        return []
    found = []
    for item in node.value:
        said = _text(item)
        if said is None:
            problems.append(f"{_at(path, item)}: each {key} item is one question")
        else:
            found.append(said)
    return found


def _in_scope(
    path: Path, node: yaml.Node, problems: list[str]
) -> list[tuple[str, tuple[str, ...]]]:
    if _text(node) is None and isinstance(node, yaml.ScalarNode):
        return []
    if not isinstance(node, yaml.SequenceNode):
        problems.append(f"{_at(path, node)}: in_scope must be a list of {{q, expect}}")
        return []
    found = []
    for item in node.value:
        fields = (
            {k.value: v for k, v in item.value}
            if isinstance(item, yaml.MappingNode)
            else {}
        )
        question = _text(fields["q"]) if "q" in fields else None
        expect = fields.get("expect")
        ids: list[str] = []
        if expect is not None and _text(expect) is not None:
            ids = [str(_text(expect))]  # one id
        elif isinstance(expect, yaml.SequenceNode):
            ids = [t for t in map(_text, expect.value) if t is not None]
        if question is None or not ids:
            problems.append(
                f"{_at(path, item)}: each in_scope item is {{q: question, "
                "expect: [entry ids]}, both given"
            )
            continue
        found.append((question, tuple(ids)))
    return found


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
