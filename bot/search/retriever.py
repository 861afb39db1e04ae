"""Find the entry that answers a question, and answer only when confident.

Two signals rank the entries. The lexical score (`bot.search.index`, 0-100)
sees the words: typos, clipped words, synonyms, skill names, the curated
phrasings. The semantic one (`bot.search.semantic`, a cosine) sees the
meaning: another verb or noun for the same thing. With the model loaded, an
entry's hybrid score (0-100) is mostly its cosine, plus up to
`LEXICAL_WEIGHT` of its lexical score: the full share once it has
`CURATED_PHRASINGS` phrasings, half with two, none with one (a document
ingested as is has one question per entry: word overlap with that one
question says less than its cosine, and only made the ranking worse).
Without the model, the lexical score alone.

This module decides what to say: a confident answer, "did you mean"
suggestions when unsure, or nothing. Confident means above the threshold of
the entry's collection, clear of unrelated runners-up by the margin, and, for
the hybrid score, leading the mean of the next `LEAD_OVER` unrelated entries
by the lead: a question about something else shares some meaning with many
entries at once, a question about one entry stands out from them. A question
about one organisation, person or moment ("are we hiring right now", "who is
the head of tpms here", `bot.text.reference`) is not answered confidently
when its best entry and that entry's collection never speak that way: the
role's article can't know this company's specifics, a company's FAQ that
says "our offices" can. Nor is a question asking for a figure ("how many
years of experience", "how much does a senior tpm make") when its best entry
gives none, nor one about a topic its entry and collection never speak of
(a certification, an interview, the next level, another job, on-call). A
question that leaves its collection's subject unsaid ("how do i stay
current", asked where everyone talks about the role) is read with it for
its cosines (`bot.search.subject`). With the
model and no threshold set by hand, each collection's thresholds are learnt
from its own phrasings when the retriever is built (`bot.search.calibration`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from bot.knowledge.models import Entry, Knowledge
from bot.search import calibration
from bot.search.calibration import Thresholds
from bot.search.index import Index, collections
from bot.search.semantic import SemanticIndex
from bot.search.subject import FROM as SUBJECT_FROM
from bot.search.subject import Subject, subject_of
from bot.text.markup import focus, is_greeting, past_greeting, small_talk
from bot.text.normalize import Normalizer
from bot.text.reference import (
    KINDS,
    Figure,
    Kind,
    figure_asked,
    lists,
    local_reference,
    states_figure,
    topic_asked,
    topics_in,
)

# What became of a question: one word for it in the retriever, the replies,
# the metrics and the store.
Outcome = Literal["answered", "suggested", "no_match", "empty"]

LEXICAL_WEIGHT = 0.4
CURATED_PHRASINGS = 3
LEAD_OVER = 5
# A collection speaks of its organisation, people or moments when this share
# of its entries does: then every entry of it may answer such questions.
SPOKEN_BY = 0.1


@dataclass(frozen=True)
class RetrieverConfig:
    answer_threshold: float = 44.0
    suggest_threshold: float = 30.0
    answer_margin: float = 1.0
    answer_lead: float = 0.0
    # The hybrid score's lexical share for an entry with enough phrasings
    # (0: semantic only; unused without the model).
    lexical_weight: float = LEXICAL_WEIGHT
    max_suggestions: int = 3
    max_answers: int = 3
    max_question_chars: int = 500
    # From postings.PARALLEL_FROM entries on; 0: one per core, at most 4.
    index_workers: int = 0
    # Thresholds per collection from its own phrasings (with the model only;
    # `bot.search.calibration`); False: the thresholds above everywhere.
    calibrate: bool = False
    # How far under answer_threshold a collection's learnt threshold may go.
    calibration_below: float = 0.0
    # No confident answer to a question about one organisation, person or
    # moment that its best entry and collection never speak of, nor for a
    # figure its best entry never gives (`Result.particular`); False:
    # decided like any other (the bench's `no-local` column).
    local_references: bool = True
    # A question that leaves a collection's subject unsaid ("how do i stay
    # current?") is read with it for that collection's cosines
    # (`bot.search.subject`); False: as asked (the bench's `as-asked`).
    implied_subject: bool = True

    @classmethod
    def for_mode(
        cls,
        semantic: bool,
        *,
        answer_threshold: float | None = None,
        suggest_threshold: float | None = None,
        answer_margin: float | None = None,
        max_suggestions: int = 3,
        max_question_chars: int = 500,
        index_workers: int = 0,
    ) -> RetrieverConfig:
        """The lexical-only or the hybrid defaults, with the thresholds given
        (not None) in their place; a threshold given turns calibration off."""
        base = HYBRID if semantic else cls()
        fixed = answer_threshold is not None or suggest_threshold is not None
        return replace(
            base,
            calibrate=base.calibrate and not fixed,
            answer_threshold=_given(answer_threshold, base.answer_threshold),
            suggest_threshold=_given(suggest_threshold, base.suggest_threshold),
            answer_margin=_given(answer_margin, base.answer_margin),
            max_suggestions=max_suggestions,
            max_question_chars=max_question_chars,
            index_workers=index_workers,
        )


def lexical_share(phrasings: int) -> float:
    """The share (0-1) of `LEXICAL_WEIGHT` an entry with this many phrasings
    gets: none for one, all from `CURATED_PHRASINGS`, evenly between."""
    return min(1.0, max(0, phrasings - 1) / (CURATED_PHRASINGS - 1))


def _given(value: float | None, default: float) -> float:
    return default if value is None else value


# Measured on the development sets (see bench/retrieval.py), not on the sets
# reported as unseen.
HYBRID = RetrieverConfig(
    answer_threshold=60.0,
    suggest_threshold=50.0,
    answer_margin=0.0,
    answer_lead=8.0,
    calibrate=True,
)


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
    # What the question asks about one organisation, person or moment that
    # its best entry never speaks of, or the figure it never gives
    # (`bot.text.reference`): not answered confidently, whatever the score.
    particular: tuple[Kind, ...] = ()

    @property
    def best(self) -> Match | None:
        return self.answers[0] if self.answers else None


def _subject_word(index: Index, word: str) -> bool:
    """`word` is in most entries of a collection big enough for that to say
    what it is about (`SUBJECT_FROM`)."""
    size = len(index)
    return size >= SUBJECT_FROM and len(index.postings.get(word, ())) * 2 > size


class Retriever:
    """Pure: build once per knowledge version, share freely between threads
    (only its caches change)."""

    def __init__(
        self,
        knowledge: Knowledge,
        config: RetrieverConfig | None = None,
        semantic: SemanticIndex | None = None,
    ):
        """`semantic`: the entries' vectors, for the hybrid score; None:
        lexical only."""
        self.knowledge = knowledge
        self.config = config or RetrieverConfig()
        self.semantic = semantic
        normalizer = Normalizer(knowledge.synonyms)
        workers = self.config.index_workers
        # Questions repeat; knowledge texts don't: cached for the first only.
        # (The cache holds the normalizer, not this retriever: no cycle, so a
        # retriever replaced on reload is freed at once.)
        self.normalize = lru_cache(maxsize=8192)(normalizer.normalize)
        # One lexical index per collection (`collections`): a word's rarity and
        # whether the knowledge knows it are judged within the entry's own
        # collection, so a document added beside changes no other's scores.
        self._parts = [
            (
                Index(tuple(knowledge.entries[i] for i in where), normalizer, workers),
                where,
            )
            for where in collections(knowledge.entries)
        ]
        # Each entry's lexical share of the hybrid score, and what its
        # cosine is multiplied by (the rest of 100).
        self._lexical_share = [
            self.config.lexical_weight * lexical_share(len(e.questions))
            for e in knowledge.entries
        ]
        self._semantic_scale = semantic.scale(self._lexical_share) if semantic else None
        configured = Thresholds(
            self.config.answer_threshold, self.config.suggest_threshold
        )
        self._thresholds = {e.id: configured for e in knowledge.entries}
        # Each entry's collection's lexical index (what its subject is).
        self._index_of = {
            knowledge.entries[i].id: index
            for index, where in self._parts
            for i in where
        }
        # Whether an entry is asked about its collection's subject alone,
        # found out the first time it matters (most never are asked).
        self._normalizer = normalizer
        self._about_subject: dict[str, bool] = {}
        # Whether an entry states a figure, likewise (`_gives_figure`).
        self._figures: dict[tuple[str, Figure], bool] = {}
        # The collections' subjects with their entries, and which of them
        # each entry's collection has (-1: none), for the questions that
        # leave it unsaid (`bot.search.subject`).
        self._subjects: list[tuple[Subject, NDArray[np.intp]]] = []
        self._subject_of = np.full(len(knowledge.entries), -1, dtype=np.intp)
        if semantic is not None and self.config.implied_subject:
            for index, where in self._parts:
                found = subject_of(index, normalizer)
                if found is not None:
                    members = np.asarray(where, dtype=np.intp)
                    self._subject_of[members] = len(self._subjects)
                    self._subjects.append((found, members))
        self.calibrated: tuple[tuple[int, Thresholds], ...] = ()
        if semantic is not None and self.config.calibrate:
            self.calibrated = tuple(self._calibrate())
        self._speaks = self._spoken() if self.config.local_references else {}

    def _spoken(self) -> dict[str, frozenset[Kind]]:
        """Each entry's kinds of particular reference (`bot.text.reference`):
        those its title, phrasings or answer use, and those a `SPOKEN_BY`
        share of its collection's entries use. (Whether it gives a figure is
        its own texts' to say, `_gives_figure`: that one entry gives a
        number says nothing of another.)"""
        entries = self.knowledge.entries
        own = [
            frozenset().union(
                *(local_reference(t) for t in (e.title, *e.questions)),
                local_reference(e.answer, places=False),
                # One reading of all its texts, a line each (no pattern
                # crosses a line).
                topics_in("\n".join((e.title, *e.questions, e.answer))),
            )
            for e in entries
        ]
        speaks = {}
        for _, where in self._parts:
            shared = {
                kind
                for kind in KINDS
                if sum(kind in own[i] for i in where) >= SPOKEN_BY * len(where)
            }
            for i in where:
                speaks[entries[i].id] = own[i] | shared
        return speaks

    def particular(self, question: str, entry: Entry) -> tuple[Kind, ...]:
        """What `question` asks about one organisation, person or moment, or
        the topics it asks about (`topic_asked`), that `entry` (and its
        collection) never speaks of, and the figure it asks for that `entry`
        never gives; always empty with `local_references` off."""
        if not self.config.local_references:
            return ()
        text = focus(question, self.config.max_question_chars)
        asked = local_reference(text, question=True) | topic_asked(text, question=True)
        speaks = self._speaks[entry.id]
        kinds = [k for k in KINDS if k in asked and k not in speaks]
        figure = figure_asked(text, question=True)
        if figure is not None and not self._gives_figure(entry, *figure):
            kinds.append("figure")
        return tuple(kinds)

    def _gives_figure(self, entry: Entry, asked: Figure, counted: str) -> bool:
        """`entry` gives the figure asked for (`bot.text.reference`): its
        title, phrasings or answer state one, a phrasing asks one, or, for
        how many `counted`, its answer lists them under a title that names
        them ("how many key skills": Key skills and qualities, five
        bullets). Read the first time a question asks (most entries never
        are)."""
        known = self._figures.get((entry.id, asked))
        if known is None:
            texts = (entry.title, *entry.questions, entry.answer)
            # A phrasing that asks one ("How long does it keep?") says the
            # entry answers such questions, in figures or not.
            known = any(states_figure(t, asked) for t in texts) or any(
                figure_asked(t) is not None for t in (entry.title, *entry.questions)
            )
            self._figures[(entry.id, asked)] = known
        if known or asked == "amount":
            return known
        # Named by the title's first words: "Key skills and qualities",
        # not "Leading cross-functional teams".
        stem = counted.removesuffix("s")
        titled = len(stem) > 2 and any(
            w.startswith(stem) for w in entry.title.lower().split()[:2]
        )
        return titled and lists(entry.answer)

    def thresholds(self, entry: Entry) -> Thresholds:
        """The answer and suggest thresholds of `entry`'s collection."""
        return self._thresholds[entry.id]

    def _calibrate(self) -> list[tuple[int, Thresholds]]:
        """Each collection's thresholds, from its phrasings asked against the
        rest of it (`bot.search.calibration`): (entries, thresholds) each."""
        assert self.semantic is not None and self._semantic_scale is not None
        entries, cfg = self.knowledge.entries, self.config
        learnt = []
        for index, where in self._parts:
            found = (
                calibration.probes(entries, where)
                if len(where) <= calibration.UP_TO
                else []
            )
            scale = self._semantic_scale[list(where)]
            share = [self._lexical_share[i] for i in where]
            local = {e: n for n, e in enumerate(where)}
            not_for = calibration.rivals(entries, where)
            negatives = []
            for i, k in found:
                query = index.query(self._tokens(entries[i].questions[k]))
                lexical = index.scores(query, index.candidates(query))
                cosines = self.semantic.best_cosines(
                    self.semantic.row(i, k), [where[n] for n, _ in lexical]
                )
                hybrid = cosines[list(where)].clip(0, 1) * scale
                for n, score in lexical:
                    hybrid[n] += share[n] * score
                hybrid[[local[r] for r in not_for(i)]] = -1.0
                best = float(hybrid.max())
                if best >= 0:
                    negatives.append(best)
            found_thresholds = calibration.thresholds(
                negatives,
                cfg.answer_threshold,
                cfg.suggest_threshold,
                cfg.calibration_below,
            )
            for i in where:
                self._thresholds[entries[i].id] = found_thresholds
            learnt.append((len(where), found_thresholds))
        return learnt

    def _tokens(self, question: str) -> tuple[str, ...]:
        """The question's content words, from the part of it that asks
        (`focus`: long questions are cut around their last "?").

        Repeats stay, as they do in the entries' phrasings: "technical skills
        for a senior tpm" keeps both "technical"s (the second from expanding
        "senior tpm"), so it matches "what technical skills does an stpm
        need" better than "what skills does an stpm need".
        """
        norm = self.normalize(focus(question, self.config.max_question_chars))
        return norm.tokens

    def _only_subject(self, tokens: tuple[str, ...], entry: Entry) -> bool:
        """Every one of `tokens` (at least one) is a word most of `entry`'s
        collection shares: its subject."""
        index = self._index_of[entry.id]
        return bool(tokens) and all(_subject_word(index, w) for w in tokens)

    def _asks_subject(self, tokens: tuple[str, ...], entry: Entry) -> bool:
        """The question asks about the collection's subject as a whole
        ("what does a senior tpm do?", "stpm?"), which every entry speaks of,
        and `entry` is one its own phrasings ask that way ("what is an
        stpm"): a flat ranking is then no sign of a guess. Without such an
        entry the lead still decides."""
        if not self._only_subject(tokens, entry):
            return False
        known = self._about_subject.get(entry.id)
        if known is None:
            texts = (entry.title, *entry.questions)
            known = any(
                self._only_subject(self._normalizer.normalize(t).tokens, entry)
                for t in texts
            )
            self._about_subject[entry.id] = known
        return known

    def subject(self, question: str) -> str:
        """The question's words that most of a collection's entries share:
        what the knowledge is about ("senior technical program manager"),
        which a second question in a row often leaves to a pronoun."""
        words = self.normalize(focus(question, self.config.max_question_chars)).tokens
        common = [
            w
            for w in dict.fromkeys(words)
            if any(_subject_word(index, w) for index, _ in self._parts)
        ]
        return " ".join(common)

    @property
    def mode(self) -> str:
        return "hybrid" if self.semantic is not None else "lexical"

    def rank(self, question: str, limit: int = 5) -> list[Match]:
        """The best entries for `question`, scored 0-100, best first."""
        return self._rank(question, self._tokens(question), limit)

    def _rank(self, question: str, tokens: tuple[str, ...], limit: int) -> list[Match]:
        entries = self.knowledge.entries
        if not tokens or not entries:
            return []
        lexical = []
        for index, where in self._parts:
            query = index.query(tokens)
            lexical += [
                (where[i], s) for i, s in index.scores(query, index.candidates(query))
            ]
        if self.semantic is None:
            scored = lexical
        else:
            scored = self._hybrid(question, tokens, lexical, limit)
        # Best score first, ties by id; Match objects only for the kept few.
        ranked = sorted((-round(score, 1), entries[i].id, i) for i, score in scored)
        return [Match(entries[i], -score) for score, _, i in ranked[:limit]]

    def _hybrid(
        self,
        question: str,
        tokens: tuple[str, ...],
        lexical: list[tuple[int, float]],
        limit: int,
    ) -> list[tuple[int, float]]:
        """(entry index, hybrid score) of the best few entries."""
        semantic = self.semantic
        assert semantic is not None
        asked = focus(question, self.config.max_question_chars)
        exact = [i for i, _ in lexical]
        cosines = semantic.similarities(asked, exact)
        # The subject left unsaid is that of the collection the question is
        # nearest to as asked: "how do i stay current" in a channel about
        # the role, not a question about another document's subject.
        nearest = int(self._subject_of[cosines.argmax()]) if self._subjects else -1
        if nearest >= 0 and self._subjects[nearest][0].unsaid(tokens):
            subject, where = self._subjects[nearest]
            implied = semantic.similarities(f"{asked} ({subject.said})", exact)
            cosines[where] = implied[where]
        share = self._lexical_share
        hybrid = cosines.clip(0, 1) * self._semantic_scale
        for i, score in lexical:
            hybrid[i] += share[i] * score
        keep = min(len(hybrid), max(limit * 4, 16))
        top = hybrid.argpartition(-keep)[-keep:]
        return [(int(i), float(hybrid[i])) for i in top]

    def _clear_winner(self, ranked: list[Match]) -> bool:
        """The top entry beats every unrelated runner-up by the margin, and
        leads the mean of the next `LEAD_OVER` unrelated ones by the lead.

        A close runner-up that the top entry links to is shown with it as a
        related entry anyway, so it doesn't make the answer a guess.
        """
        top = ranked[0]
        cfg = self.config
        rivals = [
            m.score
            for m in ranked[1:]
            if m.entry.id not in top.entry.related
            and top.entry.id not in m.entry.related
        ]
        if rivals and top.score - rivals[0] < cfg.answer_margin:
            return False
        if cfg.answer_lead and rivals:
            next_ones = rivals[:LEAD_OVER]
            return top.score - sum(next_ones) / len(next_ones) >= cfg.answer_lead
        return True

    def ask(self, question: str) -> Result:
        """Answer `question` if confident, else suggest, else say nothing."""
        cfg = self.config
        truncated = len(question) > cfg.max_question_chars
        tokens = self._tokens(question)
        if not tokens or small_talk(question) is not None or is_greeting(question):
            return Result(question, "empty", truncated=truncated)
        # Ranked on what it asks: "good morning" says nothing about it.
        asked = past_greeting(question)
        if asked is not question:
            tokens = self._tokens(asked) or tokens
        # Enough for the lead over unrelated entries, related ones skipped.
        wanted = max(cfg.max_answers, cfg.max_suggestions, 2 * LEAD_OVER) + 1
        ranked = self._rank(asked, tokens, wanted)
        top = ranked[0] if ranked else None
        seen = tuple(ranked)
        limits = self._thresholds
        if top is None or top.score < limits[top.entry.id].suggest:
            return Result(question, "no_match", truncated=truncated, ranked=seen)
        particular = self.particular(question, top.entry)
        if (
            top.score >= limits[top.entry.id].answer
            and (self._clear_winner(ranked) or self._asks_subject(tokens, top.entry))
            and not particular
        ):
            answers = [m for m in ranked if m.score >= limits[m.entry.id].answer]
            return Result(
                question,
                "answered",
                tuple(answers[: cfg.max_answers]),
                truncated=truncated,
                ranked=seen,
            )
        suggestions = [m for m in ranked if m.score >= limits[m.entry.id].suggest]
        return Result(
            question,
            "suggested",
            suggestions=tuple(suggestions[: cfg.max_suggestions]),
            truncated=truncated,
            ranked=seen,
            particular=particular,
        )
