"""Turn a plain-text article into draft knowledge entries (`stpm-bot ingest`).

One entry per section, bullet, table and FAQ pair, plus one per row of a
skill -> High/Medium/Low table (with a `skill:` block), so every part of the
article is answerable at once. Titles are short (they are shown on buttons);
ids are a few telling words of the title after the document's slug, so they
read well and never clash with other files; `related` links each entry to
its section and to the entries of the document that say the most similar
things, so every answer leads somewhere useful.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.knowledge.article import Block, Bullet, Faq, Paragraph, Section, Table, parse
from bot.knowledge.models import Importance, Knowledge, skill_key
from bot.text.normalize import fold, normalize

AIM_TITLE = 60
MAX_TITLE = 80
MIN_CUT = 30
MAX_RELATED = 5
# Below this (a rarity-weighted cosine), two entries share too little to link.
MIN_SIMILARITY = 0.1
MAX_ID_WORDS = 5
MAX_ID_CHARS = 40
MAX_PHRASINGS = 2
MAX_PHRASING_WORDS = 7
_IMPORTANCE = {i.value for i in Importance}
_CLAUSE = re.compile(
    r", (?:including|such as|e\.g\.|for example)|; |: | — | \u2013 | - | \("
)
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# A clause starts with these words, a phrase with those: good places to cut
# a title or an id (a clause first).
_CLAUSE_START = frozenset(
    "that which who whom whose including because since while so where when".split()
)
_PHRASE_BREAK = _CLAUSE_START | frozenset(
    "to in with for by within through across after before during without from into"
    " via".split()
)
# Words a cut title must not end on.
_DANGLING = _PHRASE_BREAK | frozenset(
    "a an the and or nor but of on at as than then if its their our your".split()
)
_TRAILING = " ,;:-\u2013—…(/&"
# Opening words of a question, and what follows "how" ("how far", "how much").
_QUESTION_START = frozenset(
    """
    how what why who whom whose when where which is are was were am do does did
    can could should would will shall may might must has have had
    """.split()
)
_ID_BREAK = _PHRASE_BREAK | {"of", "on", "at", "about", "like", "as"}
_HOW_WHAT = frozenset("far much many long often soon".split())
# Words that say nothing about what an entry is about.
_ID_FILLER = _DANGLING | frozenset(
    """
    be been being is are was were am do does did can could should would will
    shall may might must has have had it this these those there here i me my we
    us you they them he she his her any some anything something everything
    anyone someone thing things stuff just also very really get gets got need
    needs start starts make makes use using one each every between
    """.split()
)
# Titles made of these words only are too generic to ask about ("what is
# the introduction"); "FAQ" is left out of a topic.
_GENERIC = frozenset(
    """
    introduction conclusion summary overview background notes key main points
    takeaways highlights final thoughts faq faqs
    """.split()
)
_NOT_TOPIC = frozenset({"faq", "faqs"})
# A title with one of these is a sentence, not a topic to ask about.
_VERBS = frozenset(
    "is are was were be been must should can could will would may might has have had"
    " do does did".split()
)
# Bullet lead phrases that only label the text after them.
_LABELS = frozenset("note tip important example warning update reminder yes no".split())


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


def shorten(text: str, keep: int = MAX_TITLE) -> str:
    """A title: `text` itself when it has at most `keep` characters, else
    `text` cut at a word boundary near AIM_TITLE and never over MAX_TITLE,
    preferably where a clause or phrase ends, with no dangling word or
    punctuation (a cut question still ends with "?")."""
    text = " ".join(text.split())
    if len(text) <= keep:
        return text.rstrip(_TRAILING) or text
    cut = _cut(text)
    if cut == text:
        return text.rstrip(_TRAILING) or text
    return _tidy(cut) + ("?" if text.endswith("?") else "")


def _cut(text: str) -> str:
    """`text` up to the best cut point: a clause's start, a phrase's, the
    whole text when it fits MAX_TITLE, a comma, or the last word that fits."""
    clauses, phrases, commas = _cut_points(text)
    for points in (clauses, phrases):
        if points:
            return text[: _nearest(points)]
    if len(text) <= MAX_TITLE:
        return text
    if commas:
        return text[: _nearest(commas)]
    return _word_cut(text, AIM_TITLE)


def _cut_points(text: str) -> tuple[list[int], list[int], list[int]]:
    """Lengths of the prefixes of `text` (MIN_CUT to MAX_TITLE characters)
    that end before a clause, before a phrase, or at a comma."""
    clauses, phrases, commas = [], [], []
    for match in re.finditer(r" (\S+)", text):
        end = match.start()
        if end > MAX_TITLE:
            break
        word = _bare(match.group(1))
        if end < MIN_CUT:
            continue
        if word in _CLAUSE_START:
            clauses.append(end)
        elif word in _PHRASE_BREAK:
            phrases.append(end)
        elif text[end - 1] == ",":
            commas.append(end)
    return clauses, phrases, commas


def _nearest(lengths: list[int]) -> int:
    return min(lengths, key=lambda n: (abs(n - AIM_TITLE), -n))


def _word_cut(text: str, limit: int) -> str:
    cut = text[: limit + 1]
    return cut.rsplit(" ", 1)[0] if " " in cut else text[:limit]


def _bare(word: str) -> str:
    return fold(word).strip(".,;:!?()\"'")


def _tidy(cut: str) -> str:
    """A cut title without a trailing filler word, dangling punctuation or an
    unclosed parenthesis."""
    if cut.count("(") > cut.count(")"):
        opened = cut.rindex("(")
        # A title that opens with "(" loses the bracket, not everything.
        cut = cut[:opened] if opened else cut[1:]
    words = cut.rstrip(_TRAILING + "?").split(" ")
    while len(words) > 1 and _bare(words[-1]) in _DANGLING:
        words = " ".join(words[:-1]).rstrip(_TRAILING).split(" ")
    tidy = " ".join(words).strip()
    return tidy or _word_cut(cut, AIM_TITLE).strip(_TRAILING) or "Untitled"


@dataclass
class _Node:
    title: str
    answer: str
    source: str
    questions: list[str] = field(default_factory=list)
    skill: dict[str, str] | None = None
    id: str = ""
    related: list[str] = field(default_factory=list)
    # A bullet, or a section without FAQs (whose questions speak for it): its
    # title is a topic people may ask about.
    topical: bool = False


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
    """The bullet's lead phrase (before a colon, dash or first clause) when
    it says something, else the bullet itself; short either way."""
    head = _CLAUSE.split(text, maxsplit=1)[0].strip()
    return shorten(head if _meaningful(head) else text, AIM_TITLE)


def _meaningful(phrase: str) -> bool:
    words = _WORD.findall(fold(phrase))
    return len(phrase) >= 3 and any(
        w not in _ID_FILLER and w not in _LABELS for w in words
    )


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
            title = _bullet_title(block.text)
            nodes.append(_Node(title, block.text, source, topical=True))
        elif isinstance(block, Table):
            nodes += _table_nodes(block, source)
        elif isinstance(block, Faq) and block.answer:
            q = block.question
            nodes.append(_Node(shorten(q), block.answer, source, questions=[q]))
    return nodes


class _Ids:
    """`<doc>-<a few words of the title>`, unique against `taken` (-2, -3, ...
    on a clash). Words a fifth or more of the document's titles share are
    left out when the id would otherwise be long: they tell its entries
    apart least."""

    def __init__(self, prefix: str, taken: set[str], titles: list[str]) -> None:
        self.prefix = prefix
        self.taken = taken
        counts = Counter(w for t in titles for w in set(_WORD.findall(fold(t))))
        floor = max(3, len(titles) // 5)
        self.common = {w for w, n in counts.items() if n >= floor}

    def new(self, title: str) -> str:
        base = f"{self.prefix}-{'-'.join(self.words(title)) or 'entry'}"
        ident, n = base, 2
        while ident in self.taken:
            ident, n = f"{base}-{n}", n + 1
        self.taken.add(ident)
        return ident

    def words(self, title: str) -> list[str]:
        """The title's telling words, in order: its leading phrases that fit,
        without the document's common words if even the first does not."""
        chunks = _content_chunks(_question_dropped(_WORD.findall(fold(title))))
        if chunks and not _fits(chunks[0]):
            rare = [[w for w in chunk if w not in self.common] for chunk in chunks]
            if sum(map(len, rare)) >= 2:
                chunks = [chunk for chunk in rare if chunk]
        return _leading_chunks(chunks)


def _question_dropped(words: list[str]) -> list[str]:
    """`words` without a question's opening ("how far in advance..." ->
    "in advance..."); all of them when nothing else is left."""
    rest = list(words)
    while rest and rest[0] in _QUESTION_START:
        skip = 2 if rest[0] == "how" and rest[1:2] and rest[1] in _HOW_WHAT else 1
        rest = rest[skip:]
    return rest or words


def _content_chunks(words: list[str]) -> list[list[str]]:
    """The content words, in chunks split where a phrase breaks; the words
    themselves when they are all filler."""
    chunks: list[list[str]] = [[]]
    for word in words:
        if word in _ID_BREAK and chunks[-1]:
            chunks.append([])
        if word not in _ID_FILLER:
            chunks[-1].append(word)
    chunks = [chunk for chunk in chunks if chunk]
    return chunks or ([words] if words else [])


def _fits(words: list[str]) -> bool:
    return len(words) <= MAX_ID_WORDS and len("-".join(words)) <= MAX_ID_CHARS


def _leading_chunks(chunks: list[list[str]]) -> list[str]:
    """Whole chunks from the start while they fit; at least the first words."""
    kept: list[str] = []
    for chunk in chunks:
        if not _fits(kept + chunk):
            break
        kept += chunk
    return kept or _first_words(chunks[0] if chunks else [])


def _first_words(words: list[str]) -> list[str]:
    """The first words that fit; a first word too long alone is taken by
    its hyphenated parts, and a part too long alone is clipped (no real
    word is that long)."""
    if words and not _fits(words[:1]):
        words = words[0].split("-")
    kept: list[str] = []
    for word in words:
        if kept and not _fits([*kept, word]):
            break
        kept.append(word[:MAX_ID_CHARS])
    return kept


def _drop_known(nodes: list[_Node], known: Knowledge) -> set[str]:
    """Keep each entry, but drop a question or skill the knowledge already
    has; the questions asked anywhere, normalized, are returned."""
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
    return questions


def phrasings(title: str) -> list[str]:
    """Ways to ask about a topic title ("Cloud computing" -> "what is cloud
    computing", "why does cloud computing matter"), so a question in other
    words than the title still finds it; none for a sentence or a title too
    generic or too long to be a topic."""
    words = title.rstrip(_TRAILING + "?!.").split()
    bare = [_bare(w) for w in words]
    if not words or set(bare) <= _GENERIC or _VERBS & set(bare):
        return []
    kept = [w for w, b in zip(words, bare, strict=True) if b not in _NOT_TOPIC]
    if len(kept) > MAX_PHRASING_WORDS:
        return []
    topic = " ".join(kept).lower()
    if _gerund(bare):
        return [f"what does {topic} involve", f"why is {topic} important"]
    if _plural(bare):
        return [f"what are {topic}", f"why do {topic} matter"]
    return [f"what is {topic}", f"why does {topic} matter"]


def _gerund(words: list[str]) -> bool:
    """The topic is an activity: "Building ...", "Continuously monitoring ..."."""
    first = words[1] if len(words) > 1 and words[0].endswith("ly") else words[0]
    return first.endswith("ing") and len(first) > 5 and "-" not in first


def _plural(words: list[str]) -> bool:
    """A topic's head noun (its last word before a phrase break) is plural,
    or two topics are joined by "and"."""
    head = words
    for i, word in enumerate(words):
        if word in _ID_BREAK:
            head = words[:i]
            break
    last = head[-1] if head else ""
    plural = last.endswith("s") and not last.endswith(("ss", "us", "is", "ics"))
    return plural or "and" in head


def _add_phrasings(nodes: list[_Node], asked: set[str]) -> None:
    """Up to MAX_PHRASINGS phrasings for each section or bullet entry with
    no question of its own, none already asked anywhere (`asked`)."""
    for node in nodes:
        if not node.topical or node.questions:
            continue
        for phrasing in phrasings(node.title)[:MAX_PHRASINGS]:
            key = normalize(phrasing).text
            if key and key not in asked:
                node.questions.append(phrasing)
                asked.add(key)


def _weights(nodes: list[_Node]) -> list[dict[str, float]]:
    """Each node's content words, weighted by how rare they are in the
    document (a word every entry has weighs nothing)."""
    words = [set(normalize(f"{n.title}\n{n.answer}").tokens) for n in nodes]
    df = Counter(w for ws in words for w in ws)
    idf = {w: math.log(len(nodes) / n) for w, n in df.items()}
    return [{w: idf[w] for w in ws if idf[w] > 0} for ws in words]


def _similarities(nodes: list[_Node]) -> list[dict[int, float]]:
    """For each node, the cosine of its rarity-weighted words with the
    other nodes that share one: the `MAX_RELATED + 1` closest at or above
    `MIN_SIMILARITY` (all a node can link to, even past its section head),
    so a long document keeps a few numbers a node, not one for every pair."""
    weights = _weights(nodes)
    norms = [math.sqrt(sum(w * w for w in ws.values())) or 1.0 for ws in weights]
    postings: dict[str, list[int]] = {}
    for i, ws in enumerate(weights):
        for word in ws:
            postings.setdefault(word, []).append(i)
    sims: list[dict[int, float]] = []
    for i, ws in enumerate(weights):
        scores: defaultdict[int, float] = defaultdict(float)
        for word, w in ws.items():
            for j in postings[word]:
                if j != i:
                    scores[j] += w * weights[j][word]
        close = [
            (s / (norms[i] * norms[j]), j)
            for j, s in scores.items()
            if s / (norms[i] * norms[j]) >= MIN_SIMILARITY
        ]
        # The order `_relate` ranks by: closest, then nearest in the text.
        kept = heapq.nsmallest(
            MAX_RELATED + 1, close, key=lambda c: (-c[0], abs(c[1] - i), c[1])
        )
        sims.append({j: sim for sim, j in kept})
    return sims


def _relate(groups: list[tuple[_Node, list[_Node]]]) -> None:
    """Each entry's section head first (for a bullet, table, row or FAQ),
    then the most similar other entries of the document, MAX_RELATED at most."""
    nodes = [node for head, kids in groups for node in (head, *kids)]
    head_of = {id(kid): head for head, kids in groups for kid in kids}
    for i, (node, sims) in enumerate(zip(nodes, _similarities(nodes), strict=True)):
        head = head_of.get(id(node))
        close = [j for j, sim in sims.items() if sim >= MIN_SIMILARITY]
        ranked = sorted(close, key=lambda j: (-sims[j], abs(j - i), j))
        similar = [nodes[j].id for j in ranked if nodes[j] is not head]
        node.related = ([head.id] if head else []) + similar
        node.related = node.related[:MAX_RELATED]


def ingest(
    text: str, source_name: str, existing: Knowledge | None = None
) -> list[dict[str, Any]]:
    """Draft entries (YAML-ready dicts) for the article `text`; ids, questions
    and skill names already in `existing` are not repeated."""
    known = existing or Knowledge.of([])
    groups: list[tuple[_Node, list[_Node]]] = []
    for section in parse(text):
        if not section.blocks:
            continue  # a heading with nothing under it answers nothing
        title, answer = shorten(section.title), _section_answer(section)
        faqs = any(isinstance(block, Faq) for block in section.blocks)
        head = _Node(title, answer, section.title, topical=not faqs)
        groups.append((head, _children(section.blocks, section.title)))
    nodes = [node for head, kids in groups for node in (head, *kids)]
    ids = _Ids(doc_slug(source_name), set(known.by_id), [n.title for n in nodes])
    for node in nodes:
        node.id = ids.new(node.title)
    asked = _drop_known(nodes, known)
    _add_phrasings(nodes, asked)
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
