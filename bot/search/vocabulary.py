"""The knowledge's words: how rare each one is, and which of them a
question's word stands for.

A question's word stands for itself when the knowledge has it; otherwise for
its near misses (typos, `fuzz.ratio` ≥ `TYPO_CUTOFF`, credited from half to
nearly whole by closeness) and for the words it starts (clipped forms such as
"cybersec", credited `PREFIX_CREDIT`). Words weigh by rarity (inverse
document frequency). Unknown words weigh like the rarest words unless they
are everyday English ("start", "try"), so "what's the salary in Seattle?"
shares too little with any entry to be answered.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Mapping, Sized
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.text.english import COMMON_WORDS
from bot.text.normalize import stem

EVERYDAY_WEIGHT = 0.35
TYPO_CUTOFF = 84.0
PREFIX_CREDIT = 0.8
PREFIX_LIMIT = 5

# Knowledge words a question word stands for, each with a credit (0-1).
Matches = tuple[tuple[str, float], ...]


class Vocabulary:
    """Safe to share between threads: after construction only its cache
    changes."""

    def __init__(self, postings: Mapping[str, Sized], size: int) -> None:
        """`postings`: each word with the entries that have it, of `size`."""
        lookup = _Lookup(postings, size)
        self.idf = lookup.idf
        self.unknown_idf = lookup.unknown_idf
        # The cache holds the lookup, not this object: no cycle, so a
        # vocabulary replaced on reload is freed at once.
        self.word = lru_cache(maxsize=65_536)(lookup.word)


class _Lookup:
    def __init__(self, postings: Mapping[str, Sized], size: int) -> None:
        self.idf = {
            word: math.log(1 + (size - len(at) + 0.5) / (len(at) + 0.5))
            for word, at in postings.items()
        }
        self.unknown_idf = math.log(1 + (size + 0.5) / 0.5)
        self._everyday = frozenset(stem(w) for w in COMMON_WORDS)
        self._sorted = sorted(self.idf)
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in self._sorted:
            self._by_length[len(word)].append(word)

    def word(self, token: str) -> tuple[Matches, float]:
        """`token`'s matches and its weight in a question: the idf of its
        rarest match (unknown: the rarest of all), a fraction of that for
        everyday words."""
        matches = self._matches(token)
        idf = max(self.idf[w] for w, _ in matches) if matches else self.unknown_idf
        return matches, idf * (EVERYDAY_WEIGHT if token in self._everyday else 1.0)

    def _matches(self, token: str) -> Matches:
        if token in self.idf:
            return ((token, 1.0),)
        found: dict[str, float] = {}
        if len(token) < 4:
            return ()
        for size in range(len(token) - 2, len(token) + 3):
            for word, score, _ in process.extract(
                token,
                self._by_length.get(size, ()),
                scorer=fuzz.ratio,
                score_cutoff=TYPO_CUTOFF,
                limit=5,
            ):
                closeness = (score - TYPO_CUTOFF) / (100 - TYPO_CUTOFF)
                found[word] = 0.5 + 0.5 * closeness
        start = bisect.bisect_left(self._sorted, token)
        for word in self._sorted[start : start + PREFIX_LIMIT]:
            if not word.startswith(token):
                break
            found.setdefault(word, PREFIX_CREDIT)
        return tuple(found.items())
