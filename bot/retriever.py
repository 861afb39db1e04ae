"""Find the entry that answers a question: fuzzy token coverage plus phrasing
similarity, both with rapidfuzz; answer only when confident.

Score (0-100) of an entry for a question:
- coverage: the share of the question's content words (weighted by how rare
  they are in the knowledge, unknown words weighing most) that the entry
  contains, typos tolerated by `fuzz.ratio` against the vocabulary. Words in
  the entry's title, phrasings and skill aliases count fully; words only in
  the answer text (the article section) count `ANSWER_WEIGHT`.
- phrasing: the best `fuzz.token_sort_ratio` between the question and one of
  the entry's phrasings.
An unknown word that no entry has lowers coverage for every entry, which is
what makes "what's the wifi password?" go unanswered.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from bot.knowledge import Entry, Knowledge
from bot.normalize import normalize

ANSWER_WEIGHT = 0.6
COVERAGE_WEIGHT = 0.45
FIT_WEIGHT = 0.4
CHARS_WEIGHT = 0.15
TYPO_CUTOFF = 84.0
CANDIDATES = 30
# Words in more than this share of entries don't pick candidates on their own
# (they still count in the score): it keeps a query over 100k entries fast.
COMMON_SHARE = 0.25

Status = Literal["answered", "suggested", "no_match", "empty"]


@dataclass(frozen=True)
class RetrieverConfig:
    answer_threshold: float = 62.0
    suggest_threshold: float = 42.0
    answer_margin: float = 2.0
    max_suggestions: int = 3
    max_answers: int = 3
    max_question_chars: int = 500


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Result:
    """What the bot should say: confident `answers` (best first), or
    `suggestions` when unsure, or neither."""

    question: str
    status: Status
    answers: tuple[Match, ...] = ()
    suggestions: tuple[Match, ...] = ()
    truncated: bool = False

    @property
    def best(self) -> Match | None:
        return self.answers[0] if self.answers else None


Matches = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class _Doc:
    entry: Entry
    phrasings: tuple[tuple[str, ...], ...]
    phrasing_texts: tuple[str, ...]
    weights: dict[str, float]


class _Query:
    """A question's content words, their vocabulary matches and weights."""

    def __init__(
        self,
        tokens: tuple[str, ...],
        matches: list[Matches],
        weight: Callable[[Matches], float],
    ) -> None:
        self.text = " ".join(tokens)
        self.matches = matches
        self.weights = [weight(m) for m in matches]
        self.total = sum(self.weights)
        self.found: dict[str, float] = {}
        for m in matches:
            for word, sim in m:
                self.found[word] = max(sim, self.found.get(word, 0.0))

    def coverage(self, weights: dict[str, float]) -> float:
        """Weighted share of the question's words that `weights` holds."""
        covered = sum(
            w * max((s * weights.get(v, 0.0) for v, s in m), default=0.0)
            for m, w in zip(self.matches, self.weights, strict=True)
        )
        return covered / self.total

    def fit(
        self, phrasing: tuple[str, ...], idf: dict[str, float], unknown: float
    ) -> float:
        """How well one phrasing and the question cover each other (F1)."""
        if not phrasing:
            return 0.0
        present = dict.fromkeys(phrasing, 1.0)
        precision = self.coverage(present)
        weights = [idf.get(t, unknown) for t in phrasing]
        recall = sum(
            w * self.found.get(t, 0.0) for t, w in zip(phrasing, weights, strict=True)
        ) / sum(weights)
        if precision + recall == 0:
            return 0.0
        return 2 * precision * recall / (precision + recall)


class Retriever:
    """Pure and immutable: build once per knowledge version, share freely."""

    def __init__(self, knowledge: Knowledge, config: RetrieverConfig | None = None):
        self.knowledge = knowledge
        self.config = config or RetrieverConfig()
        self._docs = [self._index(e) for e in knowledge.entries]
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(self._docs):
            for token in doc.weights:
                self._postings[token].append(i)
        n = len(self._docs)
        self._idf = {
            t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5))
            for t, p in self._postings.items()
        }
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self._common = max(50, int(n * COMMON_SHARE))
        self._vocab = list(self._postings)
        self._vocab_by_len: dict[int, list[str]] = defaultdict(list)
        for token in self._vocab:
            self._vocab_by_len[len(token)].append(token)
        self._matches = lru_cache(maxsize=65_536)(self._vocab_matches)

    @staticmethod
    def _index(entry: Entry) -> _Doc:
        asked = [entry.title, *entry.questions]
        if entry.skill:
            asked += [entry.skill.name, *entry.skill.aliases]
        weights: dict[str, float] = {}
        for token in normalize(entry.answer).tokens:
            weights[token] = ANSWER_WEIGHT
        for text in asked:
            for token in normalize(text).tokens:
                weights[token] = 1.0
        phrasings = tuple(dict.fromkeys(tuple(normalize(t).tokens) for t in asked))
        texts = tuple(" ".join(p) for p in phrasings)
        return _Doc(entry, phrasings, texts, weights)

    def _vocab_matches(self, token: str) -> Matches:
        """Vocabulary words close to `token`: itself, typos, and longer forms."""
        found: dict[str, float] = {}
        if token in self._idf:
            found[token] = 1.0
        if len(token) >= 4:
            near = [
                w
                for size in range(len(token) - 2, len(token) + 3)
                for w in self._vocab_by_len.get(size, ())
            ]
            for word, score, _ in process.extract(
                token, near, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF, limit=5
            ):
                found.setdefault(word, score / 100)
        return tuple(found.items())

    def _weight(self, matches: Matches) -> float:
        if not matches:
            return self._unknown_idf
        return max(self._idf[w] for w, _ in matches)

    def rank(self, question: str, limit: int = 5) -> list[Match]:
        """The best entries for `question`, scored 0-100, best first."""
        norm = normalize(question[: self.config.max_question_chars])
        tokens = tuple(dict.fromkeys(norm.tokens))
        if not tokens or not self._docs:
            return []
        query = _Query(tokens, [self._matches(t) for t in tokens], self._weight)
        scored = [
            Match(self._docs[i].entry, round(self._score(query, self._docs[i]), 1))
            for i in self._candidates(query.matches)
        ]
        scored.sort(key=lambda m: (-m.score, m.entry.id))
        return scored[:limit]

    def _score(self, query: _Query, doc: _Doc) -> float:
        coverage = query.coverage(doc.weights)
        fit = max(
            (query.fit(p, self._idf, self._unknown_idf) for p in doc.phrasings),
            default=0.0,
        )
        chars = process.extractOne(
            query.text, doc.phrasing_texts, scorer=fuzz.token_sort_ratio, processor=None
        )
        similarity = chars[1] / 100 if chars else 0.0
        return 100 * (
            COVERAGE_WEIGHT * coverage + FIT_WEIGHT * fit + CHARS_WEIGHT * similarity
        )

    def _candidates(self, matched: list[Matches]) -> list[int]:
        """Entries sharing a word with the query, rare words first."""
        words = {w for m in matched for w, _ in m}
        if len(self._docs) <= self._common:
            return sorted({i for w in words for i in self._postings[w]})
        rare = [w for w in words if len(self._postings[w]) <= self._common] or list(
            words
        )
        hits: dict[int, float] = defaultdict(float)
        for word in rare:
            idf = self._idf[word]
            for i in self._postings[word]:
                hits[i] += idf
        best = sorted(hits, key=hits.__getitem__, reverse=True)
        return best[:CANDIDATES]

    def _clear_winner(self, ranked: list[Match]) -> bool:
        """The top entry beats every unrelated runner-up by the margin.

        A close runner-up that the top entry links to is shown with it as a
        related entry anyway, so it doesn't make the answer a guess.
        """
        top = ranked[0]
        rivals = [
            m.score
            for m in ranked[1:]
            if m.entry.id not in top.entry.related
            and top.entry.id not in m.entry.related
        ]
        return not rivals or top.score - rivals[0] >= self.config.answer_margin

    def ask(self, question: str) -> Result:
        """Answer `question` if confident, else suggest, else say nothing."""
        cfg = self.config
        truncated = len(question) > cfg.max_question_chars
        if not normalize(question[: cfg.max_question_chars]).tokens:
            return Result(question, "empty", truncated=truncated)
        ranked = self.rank(
            question, limit=max(cfg.max_answers, cfg.max_suggestions) + 1
        )
        top = ranked[0] if ranked else None
        if top is None or top.score < cfg.suggest_threshold:
            return Result(question, "no_match", truncated=truncated)
        if top.score >= cfg.answer_threshold and self._clear_winner(ranked):
            answers = [m for m in ranked if m.score >= cfg.answer_threshold]
            return Result(
                question,
                "answered",
                tuple(answers[: cfg.max_answers]),
                truncated=truncated,
            )
        suggestions = [m for m in ranked if m.score >= cfg.suggest_threshold]
        return Result(
            question,
            "suggested",
            suggestions=tuple(suggestions[: cfg.max_suggestions]),
            truncated=truncated,
        )
