"""The searchable form of the knowledge and the scoring of one question.

An entry's score (0-100) for a question blends three signals, then shrinks
with the share of the question that the knowledge has no word for:

- coverage: the share of the question's content words the entry contains,
  each word weighted by how rare it is in the knowledge (inverse document
  frequency). Words in the entry's title, phrasings and skill aliases count
  fully; words only in its answer text (the article section) count
  `ANSWER_WEIGHT`. Typos match through `fuzz.ratio`, clipped words
  ("cybersec") through the words they start.
- title: the share of the entry's title (or skill name or alias) that the
  question contains: a question about cloud must mention cloud.
- phrasing: the best `fuzz.token_sort_ratio` between the question and one of
  the entry's phrasings, on normalized words (computed as `fuzz.ratio` on
  words sorted in advance).

A word the question repeats counts again, twice at most: "technical skills
for a senior tpm" has "technical" twice once the abbreviation is expanded, as
does the phrasing "what technical skills does an stpm need".

Unknown words weigh like the rarest words unless they are everyday English
("start", "try"), so "what's the salary in Seattle?" shares too little with
any entry to be answered.
"""

from __future__ import annotations

import bisect
import gc
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import NamedTuple

from rapidfuzz import fuzz, process

from bot.english import COMMON_WORDS
from bot.knowledge import Entry
from bot.normalize import Normalizer, stem

ANSWER_WEIGHT = 0.6
COVERAGE_WEIGHT = 0.3
TITLE_WEIGHT = 0.15
PHRASING_WEIGHT = 0.55
EVERYDAY_WEIGHT = 0.35
GATE_POWER = 0.25
TYPO_CUTOFF = 84.0
PREFIX_CREDIT = 0.8
PREFIX_LIMIT = 5
# A word twice is usually one typed plus one from a synonym ("technical" in
# "technical skills for a senior tpm"); more is emphasis, or noise.
MAX_REPEATS = 2
# Words in more than COMMON_SHARE of the entries don't pick candidates on
# their own (they still count in the score). Past SMALL_INDEX entries, only
# the CANDIDATES entries sharing the most rare words are scored.
SMALL_INDEX = 2000
COMMON_SHARE = 0.5
CANDIDATES = 40

Matches = tuple[tuple[str, float], ...]

_gc_lock = threading.Lock()
_gc_holds = 0


@contextmanager
def _no_gc() -> Iterator[None]:
    """Cyclic GC off while any index builds (counted: builds may overlap)."""
    global _gc_holds
    with _gc_lock:
        if _gc_holds == 0:
            gc.disable()
        _gc_holds += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holds -= 1
            if _gc_holds == 0:
                gc.enable()


class Doc(NamedTuple):
    entry: Entry
    phrasings: tuple[str, ...]
    titles: tuple[tuple[str, ...], ...]
    weights: dict[str, float]


@dataclass(frozen=True)
class Query:
    """A question's content words with their vocabulary matches and weights."""

    text: str
    matches: tuple[Matches, ...]
    weights: tuple[float, ...]
    found: dict[str, float]
    known: float


class Index:
    """Immutable after construction; safe to share between threads."""

    def __init__(self, entries: tuple[Entry, ...], normalizer: Normalizer):
        # Building allocates millions of small objects and frees none: cyclic
        # garbage collection passes during it are pure overhead (about a
        # quarter of the build time).
        with _no_gc():
            self._build(entries, normalizer)

    def _build(self, entries: tuple[Entry, ...], normalizer: Normalizer) -> None:
        self.docs = [_doc(e, normalizer) for e in entries]
        postings: dict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(self.docs):
            for token in doc.weights:
                postings[token].append(i)
        self.postings = dict(postings)
        n = len(self.docs)
        self.idf = {
            t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5))
            for t, p in self.postings.items()
        }
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self.common = max(1, int(n * COMMON_SHARE))
        self.everyday = frozenset(stem(w) for w in COMMON_WORDS)
        self.sorted_vocab = sorted(self.postings)
        self.vocab_by_len: dict[int, list[str]] = defaultdict(list)
        for token in self.sorted_vocab:
            self.vocab_by_len[len(token)].append(token)
        self.matches = lru_cache(maxsize=65_536)(self._vocab_matches)
        self.title_weights = [self._title_weights(doc) for doc in self.docs]

    def _title_weights(
        self, doc: Doc
    ) -> tuple[tuple[tuple[tuple[str, float], ...], float], ...]:
        """Each title's words with their weights, and the weights' sum."""
        out = []
        for title in doc.titles:
            words = tuple((t, self.idf.get(t, 1.0)) for t in title)
            total = sum(w for _, w in words)
            if total:
                out.append((words, total))
        return tuple(out)

    def _vocab_matches(self, token: str) -> Matches:
        """Vocabulary words standing for `token`: itself if known, else its
        near misses (typos) and the words it starts (clipped forms)."""
        if token in self.idf:
            return ((token, 1.0),)
        found: dict[str, float] = {}
        if len(token) < 4:
            return ()
        for size in range(len(token) - 2, len(token) + 3):
            for word, score, _ in process.extract(
                token,
                self.vocab_by_len.get(size, ()),
                scorer=fuzz.ratio,
                score_cutoff=TYPO_CUTOFF,
                limit=5,
            ):
                # A near miss counts from half (at the cutoff) to nearly whole.
                closeness = (score - TYPO_CUTOFF) / (100 - TYPO_CUTOFF)
                found[word] = 0.5 + 0.5 * closeness
        start = bisect.bisect_left(self.sorted_vocab, token)
        for word in self.sorted_vocab[start : start + PREFIX_LIMIT]:
            if not word.startswith(token):
                break
            found.setdefault(word, PREFIX_CREDIT)
        return tuple(found.items())

    def query(self, words: tuple[str, ...]) -> Query:
        """A repeated word is scored once, weighing as much as its repeats, up
        to `MAX_REPEATS`."""
        counts: Counter[str] = Counter()
        kept = []
        for word in words:
            counts[word] += 1
            if counts[word] <= MAX_REPEATS:
                kept.append(word)
        tokens = tuple(counts)
        matches = tuple(self.matches(t) for t in tokens)
        weights = tuple(
            min(counts[t], MAX_REPEATS)
            * (EVERYDAY_WEIGHT if t in self.everyday else 1.0)
            * (max(self.idf[w] for w, _ in m) if m else self.unknown_idf)
            for t, m in zip(tokens, matches, strict=True)
        )
        found: dict[str, float] = {}
        for m in matches:
            for word, sim in m:
                found[word] = max(sim, found.get(word, 0.0))
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
        if len(self.docs) <= SMALL_INDEX:
            return sorted({i for w in rare for i in self.postings[w]})
        hits: dict[int, float] = defaultdict(float)
        for word in rare:
            idf = self.idf[word]
            for i in self.postings[word]:
                hits[i] += idf
        return sorted(hits, key=hits.__getitem__, reverse=True)[:CANDIDATES]

    def scores(self, query: Query, candidates: list[int]) -> list[tuple[int, float]]:
        """(entry index, 0-100 score) for each candidate."""
        similarity = self._phrasing_similarity(query, candidates)
        gate = 100 * math.pow(query.known, GATE_POWER)
        total = sum(query.weights)
        pairs = list(zip(query.matches, query.weights, strict=True))
        found = query.found
        out = []
        for i in candidates:
            have = self.docs[i].weights
            coverage = 0.0
            for matches, weight in pairs:
                best = 0.0
                for word, sim in matches:
                    if word in have and sim * have[word] > best:
                        best = sim * have[word]
                coverage += weight * best
            title = 0.0
            for words, title_total in self.title_weights[i]:
                hits = 0.0
                for word, w in words:
                    if word in found:
                        hits += w * found[word]
                title = max(title, hits / title_total)
            blend = (
                COVERAGE_WEIGHT * coverage / total
                + TITLE_WEIGHT * title
                + PHRASING_WEIGHT * similarity.get(i, 0.0)
            )
            out.append((i, gate * blend))
        return out

    def _phrasing_similarity(
        self, query: Query, candidates: list[int]
    ) -> dict[int, float]:
        """Best `token_sort_ratio` (0-1) of each candidate's phrasings, in one call."""
        owners = [i for i in candidates for _ in self.docs[i].phrasings]
        choices = [p for i in candidates for p in self.docs[i].phrasings]
        ranked = process.extract(
            " ".join(sorted(query.text.split())),
            choices,
            scorer=fuzz.ratio,
            processor=None,
            limit=None,
            score_cutoff=1,
        )
        # Best first, so walked backwards each owner's best is written last.
        return {owners[k]: score / 100 for _, score, k in reversed(ranked)}


def _doc(entry: Entry, normalizer: Normalizer) -> Doc:
    normalize = normalizer.normalize_text
    names = [entry.title]
    if entry.skill:
        names += [entry.skill.name, *entry.skill.aliases]
    named = [normalize(n).tokens for n in names]
    titles = tuple(t for t in named if t)
    phrasings = named + [normalize(q).tokens for q in entry.questions]
    weights = normalizer.weighted(entry.answer, ANSWER_WEIGHT)
    weights.update(dict.fromkeys(chain.from_iterable(phrasings), 1.0))
    # Sorted once here, so matching is `fuzz.ratio` on sorted words, which is
    # `token_sort_ratio` without sorting every phrasing for every question.
    texts = tuple(dict.fromkeys(" ".join(sorted(p)) for p in phrasings if p))
    return Doc(entry, texts, titles, weights)
