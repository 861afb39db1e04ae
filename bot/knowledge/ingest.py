"""Turn a plain-text article into draft knowledge entries (`stpm-bot ingest`).

One entry per section, bullet, table and FAQ pair, plus one per row of a
skill -> High/Medium/Low table (with a `skill:` block), so every part of the
article is answerable at once. Ids start with the document's slug so they
never clash with other files; `related` links each entry to its section and
its neighbours, so every answer leads somewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.knowledge.article import Block, Bullet, Faq, Paragraph, Section, Table, parse
from bot.knowledge.models import Importance, Knowledge, skill_key
from bot.text.normalize import fold, normalize

MAX_TITLE = 150
MAX_BULLET_TITLE = 100
MAX_RELATED = 5
_IMPORTANCE = {i.value for i in Importance}
_CLAUSE = re.compile(r", (?:including|such as|e\.g\.|for example)|; |: | — | - | \(")


def slug(text: str, limit: int) -> str:
    """Lowercase ASCII words joined by dashes, cut to `limit` at a word end."""
    full = "-".join(re.findall(r"[a-z0-9]+", fold(text)))
    if len(full) <= limit:
        return full
    cut = full[: limit + 1]
    return cut.rsplit("-", 1)[0] if "-" in cut else full[:limit]


def doc_slug(source_name: str) -> str:
    """The document's slug: ids' prefix and the draft's file name."""
    return slug(Path(source_name).stem, 24) or "doc"


def shorten(text: str, limit: int = MAX_TITLE) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


@dataclass
class _Node:
    title: str
    answer: str
    source: str
    questions: list[str] = field(default_factory=list)
    skill: dict[str, str] | None = None
    id: str = ""
    related: list[str] = field(default_factory=list)


def _is_skill_table(table: Table) -> bool:
    return bool(table.rows) and all(
        len(r) == 2 and r[1].strip().capitalize() in _IMPORTANCE for r in table.rows
    )


def _table_lines(table: Table) -> list[str]:
    head = [f"*{' — '.join(table.header)}*"] if table.header else []
    return head + [f"• {' — '.join(c for c in row if c)}" for row in table.rows]


def _section_answer(section: Section) -> str:
    parts: list[str] = []
    for block in section.blocks:
        if isinstance(block, Paragraph):
            parts.append(f"\n{block.text}")
        elif isinstance(block, Bullet):
            parts.append(f"• {block.text}")
        elif isinstance(block, Table):
            parts.append("\n" + "\n".join(_table_lines(block)))
    text = "\n".join(parts).strip()
    if not text:
        faqs = [f"• {b.question}" for b in section.blocks if isinstance(b, Faq)]
        text = "\n".join(["Questions answered here:", *faqs]) if faqs else ""
    return text or section.title


def _bullet_title(text: str) -> str:
    head = _CLAUSE.split(text, maxsplit=1)[0].strip()
    return shorten(head if len(head) >= 3 else text, MAX_BULLET_TITLE)


def _table_nodes(table: Table, source: str) -> list[_Node]:
    title = " and ".join(table.header) if table.header else f"{source} (table)"
    nodes = [_Node(shorten(title), "\n".join(_table_lines(table)), source)]
    if _is_skill_table(table):
        measure = table.header[1].lower() if table.header else "importance"
        for name, value in table.rows:
            level = value.strip().capitalize()
            text = f"*{name}* is rated *{level}* {measure}."
            skill = {"name": name, "importance": level}
            nodes.append(_Node(shorten(name), text, source, skill=skill))
    return nodes


def _children(blocks: list[Block], source: str) -> list[_Node]:
    nodes: list[_Node] = []
    for block in blocks:
        if isinstance(block, Bullet):
            nodes.append(_Node(_bullet_title(block.text), block.text, source))
        elif isinstance(block, Table):
            nodes += _table_nodes(block, source)
        elif isinstance(block, Faq) and block.answer:
            q = block.question
            nodes.append(_Node(shorten(q), block.answer, source, questions=[q]))
    return nodes


class _Ids:
    """`<doc>-<title-slug>`, unique against `taken` (-2, -3, ... on a clash)."""

    def __init__(self, prefix: str, taken: set[str]) -> None:
        self.prefix = prefix
        self.taken = taken

    def new(self, title: str) -> str:
        base = f"{self.prefix}-{slug(title, 50) or 'entry'}"
        ident, n = base, 2
        while ident in self.taken:
            ident, n = f"{base}-{n}", n + 1
        self.taken.add(ident)
        return ident


def _drop_known(nodes: list[_Node], known: Knowledge) -> None:
    """Keep each entry, but drop a question or skill the knowledge already has."""
    questions = {normalize(q).text for e in known.entries for q in e.questions}
    skills = {
        skill_key(name)
        for e in known.skills
        if e.skill
        for name in (e.skill.name, *e.skill.aliases)
    }
    for node in nodes:
        kept = []
        for q in node.questions:
            key = normalize(q).text
            if key and key not in questions:
                kept.append(q)
                questions.add(key)
        node.questions = kept
        if node.skill and skill_key(node.skill["name"]) in skills:
            node.skill = None
        elif node.skill:
            skills.add(skill_key(node.skill["name"]))


def _relate(groups: list[tuple[_Node, list[_Node]]]) -> None:
    heads = [head for head, _ in groups]
    for i, (head, kids) in enumerate(groups):
        around = [heads[j].id for j in (i - 1, i + 1) if 0 <= j < len(heads)]
        head.related = [k.id for k in kids[: MAX_RELATED - len(around)]] + around
        for j, kid in enumerate(kids):
            near = [kids[x].id for x in (j - 1, j + 1) if 0 <= x < len(kids)]
            kid.related = [head.id, *near]


def ingest(
    text: str, source_name: str, existing: Knowledge | None = None
) -> list[dict[str, Any]]:
    """Draft entries (YAML-ready dicts) for the article `text`; ids, questions
    and skill names already in `existing` are not repeated."""
    known = existing or Knowledge.of([])
    ids = _Ids(doc_slug(source_name), set(known.by_id))
    groups: list[tuple[_Node, list[_Node]]] = []
    for section in parse(text):
        head = _Node(shorten(section.title), _section_answer(section), section.title)
        groups.append((head, _children(section.blocks, section.title)))
    nodes = [node for head, kids in groups for node in (head, *kids)]
    for node in nodes:
        node.id = ids.new(node.title)
    _drop_known(nodes, known)
    _relate(groups)
    return [_as_dict(node) for node in nodes]


def _as_dict(node: _Node) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": node.id,
        "title": node.title,
        "answer": node.answer,
        "questions": node.questions,
        "related": node.related,
        "source": node.source,
    }
    if node.skill:
        entry["skill"] = node.skill
    return entry
