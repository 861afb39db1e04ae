"""Find the entry that answers a question, and answer only when confident.

Scoring lives in `bot.search.index`; this module decides what to say: a confident
answer (above a threshold and clear of unrelated runners-up by a margin),
"did you mean" suggestions when unsure, or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bot.knowledge.models import Entry, Knowledge
from bot.search.index import Index
from bot.text.normalize import Normalizer

# What became of a question: one word for it in the retriever, the replies,
# the metrics and the store.
Outcome = Literal["answered", "suggested", "no_match", "empty"]


@dataclass(frozen=True)
class RetrieverConfig:
    answer_threshold: float = 44.0
    suggest_threshold: float = 30.0
    answer_margin: float = 1.0
    max_suggestions: int = 3
    max_answers: int = 3
    max_question_chars: int = 500
    # From postings.PARALLEL_FROM entries on; 0: one per core, at most 4.
    index_workers: int = 0


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Result:
    """What the bot should say: confident `answers` (best first), or
    `suggestions` when unsure, or neither. `ranked` is the best few entries
    whatever their scores, so nobody has to ask the retriever twice."""

    question: str
    status: Outcome
    answers: tuple[Match, ...] = ()
    suggestions: tuple[Match, ...] = ()
    truncated: bool = False
    ranked: tuple[Match, ...] = ()

    @property
    def best(self) -> Match | None:
        return self.answers[0] if self.answers else None


class Retriever:
    """Pure: build once per knowledge version, share freely between threads
    (only its caches change)."""

    def __init__(self, knowledge: Knowledge, config: RetrieverConfig | None = None):
        self.knowledge = knowledge
        self.config = config or RetrieverConfig()
        normalizer = Normalizer(knowledge.synonyms)
        # Questions repeat; knowledge texts don't: cached for the first only.
        # (The cache holds the normalizer, not this retriever: no cycle, so a
        # retriever replaced on reload is freed at once.)
        self.normalize = lru_cache(maxsize=8192)(normalizer.normalize)
        self._index = Index(knowledge.entries, normalizer, self.config.index_workers)

    def _tokens(self, question: str) -> tuple[str, ...]:
        """The question's content words, from its first allowed chars.

        Repeats stay, as they do in the entries' phrasings: "technical skills
        for a senior tpm" keeps both "technical"s (the second from expanding
        "senior tpm"), so it matches "what technical skills does an stpm
        need" better than "what skills does an stpm need".
        """
        norm = self.normalize(question[: self.config.max_question_chars])
        return norm.tokens

    def rank(self, question: str, limit: int = 5) -> list[Match]:
        """The best entries for `question`, scored 0-100, best first."""
        return self._rank(self._tokens(question), limit)

    def _rank(self, tokens: tuple[str, ...], limit: int) -> list[Match]:
        if not tokens or not self._index:
            return []
        index = self._index
        query = index.query(tokens)
        entries = index.entries
        # Best score first, ties by id; Match objects only for the kept few.
        ranked = sorted(
            (-round(score, 1), entries[i].id, i)
            for i, score in index.scores(query, index.candidates(query))
        )
        return [Match(entries[i], -score) for score, _, i in ranked[:limit]]

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
        tokens = self._tokens(question)
        if not tokens:
            return Result(question, "empty", truncated=truncated)
        ranked = self._rank(tokens, max(cfg.max_answers, cfg.max_suggestions) + 1)
        top = ranked[0] if ranked else None
        seen = tuple(ranked)
        if top is None or top.score < cfg.suggest_threshold:
            return Result(question, "no_match", truncated=truncated, ranked=seen)
        if top.score >= cfg.answer_threshold and self._clear_winner(ranked):
            answers = [m for m in ranked if m.score >= cfg.answer_threshold]
            return Result(
                question,
                "answered",
                tuple(answers[: cfg.max_answers]),
                truncated=truncated,
                ranked=seen,
            )
        suggestions = [m for m in ranked if m.score >= cfg.suggest_threshold]
        return Result(
            question,
            "suggested",
            suggestions=tuple(suggestions[: cfg.max_suggestions]),
            truncated=truncated,
            ranked=seen,
        )
