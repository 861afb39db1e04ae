"""The searchable form of the knowledge and the scoring of one question.

An entry's score (0-100) for a question blends three signals, then shrinks
with the share of the question that the knowledge has no word for:

- coverage: the share of the question's content words the entry contains,
  each word weighted by how rare it is in the knowledge (inverse document
  frequency). Words in the entry's title, phrasings and skill aliases count
  fully; words only in its answer text (the article section) count
  `ANSWER_WEIGHT`. Typos and clipped words ("cybersec") match through
  `bot.search.vocabulary`, which also weighs each word.
- title: the share of the entry's title (or skill name or alias) that the
  question contains: a question about cloud must mention cloud.
- phrasing: the best `fuzz.token_sort_ratio` between the question and one of
  the entry's phrasings, on normalized words (computed as `fuzz.ratio` on
  words sorted in advance).

A word the question repeats counts again, twice at most: "technical skills
for a senior tpm" has "technical" twice once the abbreviation is expanded, as
does the phrasing "what technical skills does an stpm need".

Building the index is building the inverted index (`bot.search.postings`); each
entry's scoring data (`Doc`) is made the first time it is a candidate.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import chain
from typing import NamedTuple

from rapidfuzz import fuzz, process

from bot.knowledge.models import Entry
from bot.search import postings
from bot.search.vocabulary import Matches, Vocabulary
from bot.text.normalize import Normalizer

ANSWER_WEIGHT = 0.6
COVERAGE_WEIGHT = 0.3
TITLE_WEIGHT = 0.15
PHRASING_WEIGHT = 0.55
GATE_POWER = 0.25
# A word twice is usually one typed plus one from a synonym ("technical" in
# "technical skills for a senior tpm"); more is emphasis, or noise.
MAX_REPEATS = 2
# Words in more than COMMON_SHARE of the entries don't pick candidates on
# their own (they still count in the score). Past SMALL_INDEX entries, only
# the CANDIDATES entries sharing the most rare words are scored.
SMALL_INDEX = 2000
COMMON_SHARE = 0.5
CANDIDATES = 40
# An entry's scoring data (its words' weights, sorted phrasings, titles) is
# built the first time it is a candidate, and this many are kept.
DOC_CACHE = 20_000

Titles = tuple[tuple[tuple[tuple[str, float], ...], float], ...]


class Doc(NamedTuple):
    """What scoring needs of one entry: each word's weight (1 in a title or
    phrasing, `ANSWER_WEIGHT` only in the answer), the phrasings' words
    sorted, and each title's words with their idf and the idf's sum."""

    weights: dict[str, float]
    phrasings: tuple[str, ...]
    titles: Titles


@dataclass(frozen=True)
class Query:
    """A question's content words with their vocabulary matches and weights."""

    text: str
    matches: tuple[Matches, ...]
    weights: tuple[float, ...]
    found: dict[str, float]
    known: float


class Index:
    """Safe to share between threads: after construction only its caches
    change."""

    def __init__(
        self, entries: tuple[Entry, ...], normalizer: Normalizer, workers: int = 0
    ):
        """`workers`: processes building the postings from
        `postings.PARALLEL_FROM` entries; 0: one per core, at most 4."""
        self.entries = entries
        texts = [[*names(e), *e.questions, e.answer] for e in entries]
        self.postings = postings.build(
            texts, normalizer, postings.workers_for(len(texts), workers)
        )
        n = len(entries)
        self.vocabulary = Vocabulary(self.postings, n)
        self.idf = self.vocabulary.idf
        self.common = max(1, int(n * COMMON_SHARE))
        # The cache holds what making a Doc needs, not the index: no cycle, so
        # an index replaced on reload is freed at once.
        self.doc = lru_cache(maxsize=DOC_CACHE)(
            partial(_doc, entries, normalizer, self.idf)
        )
        if n <= SMALL_INDEX:  # cheap now, and no question pays for it later
            for i in range(n):
                self.doc(i)

    def __len__(self) -> int:
        return len(self.entries)

    def query(self, words: tuple[str, ...]) -> Query:
        """A repeated word is scored once, weighing as much as its repeats, up
        to `MAX_REPEATS`."""
        counts: Counter[str] = Counter()
        kept = []
        for word in words:
            counts[word] += 1
            if counts[word] <= MAX_REPEATS:
                kept.append(word)
        looked_up = [(n, *self.vocabulary.word(t)) for t, n in counts.items()]
        matches = tuple(m for _, m, _ in looked_up)
        weights = tuple(min(n, MAX_REPEATS) * w for n, _, w in looked_up)
        found: dict[str, float] = {}
        for m in matches:
            for word, sim in m:
                if sim > found.get(word, 0.0):
                    found[word] = sim
        total = sum(weights)
        known = sum(w for w, m in zip(weights, matches, strict=True) if m) / total
        return Query(" ".join(kept), matches, weights, found, known)

    def candidates(self, query: Query) -> list[int]:
        """Entries sharing a distinctive word with the question.

        Words in more than `COMMON_SHARE` of the entries ("manager" in a
        knowledge about managers) only pick candidates when the question has
        no other word; at scale, only the `CANDIDATES` entries sharing the
        most rare words are kept.
        """
        words = {w for m in query.matches for w, _ in m}
        rare = [w for w in words if len(self.postings[w]) <= self.common] or list(words)
        if len(self.entries) <= SMALL_INDEX:
            return sorted({i for w in rare for i in self.postings[w]})
        hits: dict[int, float] = defaultdict(float)
        for word in rare:
            idf = self.idf[word]
            for i in self.postings[word]:
                hits[i] += idf
        return sorted(hits, key=hits.__getitem__, reverse=True)[:CANDIDATES]

    def scores(self, query: Query, candidates: list[int]) -> list[tuple[int, float]]:
        """(entry index, 0-100 score) for each candidate."""
        docs = list(map(self.doc, candidates))
        similarity = _phrasing_similarity(query, docs)
        gate = 100 * math.pow(query.known, GATE_POWER)
        total = sum(query.weights)
        pairs = list(zip(query.matches, query.weights, strict=True))
        found = query.found
        out = []
        for i, doc, phrasing in zip(candidates, docs, similarity, strict=True):
            have = doc.weights
            coverage = 0.0
            for matches, weight in pairs:
                best = 0.0
                for word, sim in matches:
                    credit = sim * have.get(word, 0.0)
                    if credit > best:
                        best = credit
                coverage += weight * best
            title = 0.0
            for words, title_total in doc.titles:
                hits = 0.0
                for word, w in words:
                    if word in found:
                        hits += w * found[word]
                if hits > title * title_total:
                    title = hits / title_total
            blend = (
                COVERAGE_WEIGHT * coverage / total
                + TITLE_WEIGHT * title
                + PHRASING_WEIGHT * phrasing
            )
            out.append((i, gate * blend))
        return out


def collections(entries: Sequence[Entry]) -> list[tuple[int, ...]]:
    """The entries (their positions) in each collection: entries joined by
    `related` links either way, or by being in one file. A collection is one
    body of knowledge (the curated files link to each other; an ingested
    document links within itself until a curator connects it)."""
    parent = list(range(len(entries)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(a: int, b: int) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    position = {e.id: i for i, e in enumerate(entries)}
    first_in_file: dict[str, int] = {}
    for i, entry in enumerate(entries):
        join(i, first_in_file.setdefault(entry.file, i))
        for other in entry.related:
            if other in position:
                join(i, position[other])
    groups: dict[int, list[int]] = {}
    for i in range(len(entries)):
        groups.setdefault(root(i), []).append(i)
    return [tuple(group) for group in groups.values()]


def _phrasing_similarity(query: Query, docs: list[Doc]) -> list[float]:
    """Each doc's best `token_sort_ratio` (0-1) over its phrasings."""
    text = " ".join(sorted(query.text.split()))
    best = []
    for doc in docs:
        hit = process.extractOne(
            text, doc.phrasings, scorer=fuzz.ratio, processor=None, score_cutoff=1
        )
        best.append(hit[1] / 100 if hit else 0.0)
    return best


def _doc(
    entries: tuple[Entry, ...], normalizer: Normalizer, idf: dict[str, float], i: int
) -> Doc:
    weights, phrasings, named = _analyze(entries[i], normalizer)
    titles = []
    for title in named:
        words = tuple((t, idf.get(t, 1.0)) for t in title)
        titles.append((words, sum(w for _, w in words)))
    return Doc(weights, phrasings, tuple(titles))


def names(entry: Entry) -> list[str]:
    """What an entry is called: its title, and its skill's name and aliases."""
    if entry.skill:
        return [entry.title, entry.skill.name, *entry.skill.aliases]
    return [entry.title]


def _analyze(
    entry: Entry, normalizer: Normalizer
) -> tuple[dict[str, float], tuple[str, ...], list[tuple[str, ...]]]:
    """An entry's words with their weights, its phrasings' words sorted, and
    its titles' words."""
    tokens = normalizer.tokens
    named = [t for t in map(tokens, names(entry)) if t]
    phrasings = named + [t for t in map(tokens, entry.questions) if t]
    weights = normalizer.weighted(entry.answer, ANSWER_WEIGHT)
    weights.update(dict.fromkeys(chain.from_iterable(phrasings), 1.0))
    # Sorted once here, so matching is `fuzz.ratio` on sorted words, which is
    # `token_sort_ratio` without sorting every phrasing for every question.
    texts = tuple(dict.fromkeys(" ".join(sorted(p)) for p in phrasings))
    return weights, texts, named
