"""What a collection is about, for the questions that leave it unsaid.

In a channel about one role, people ask "how do i stay current?" and mean
"how does a senior technical program manager stay current?". The words
nearly every entry of a collection has ("senior technical program
manager") are its subject: they tell its entries from each other not at
all, but a sentence model reads a question without them as being about
something else, and its cosine with every entry drops below the
collection's learnt thresholds (which its own phrasings, subject included,
set). A question that has none of a collection's subject words is read, for
that collection's entries only, with the subject said as the collection's
own titles and phrasings say it ("how do i stay current (stpm)").

Only the meaning is read this way. The lexical score still sees only the
words asked, so a question about something the knowledge never mentions
keeps the lexical evidence against it: given the subject words too, the
lexical-only retriever refused fewer out-of-scope questions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.search.index import Index
from bot.text.normalize import Normalizer

# A subject word is in at least this share of a collection's entries, and
# the collection has at least `FROM` entries (fewer say nothing by sharing).
# Nearly all, not most as for a question about the subject alone
# (`bot.search.retriever`): what is added to a question must be what every
# entry is about ("senior technical program manager"), not a word most
# happen to use ("skill", "requirement").
SHARED_BY = 0.9
FROM = 5

_RAW_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?")


@dataclass(frozen=True)
class Subject:
    words: frozenset[str]  # normalized, as the lexical index has them
    said: str  # as the collection's titles and phrasings most often say it

    def unsaid(self, tokens: Sequence[str]) -> bool:
        """A question with these content words leaves the subject unsaid."""
        return self.words.isdisjoint(tokens)


def subject_of(index: Index, normalizer: Normalizer) -> Subject | None:
    """The subject of the collection `index` was built from, or None when it
    has none: too few entries, or no word nearly all share."""
    size = len(index)
    if size < FROM:
        return None
    words = frozenset(
        word for word, where in index.postings.items() if len(where) >= SHARED_BY * size
    )
    if not words:
        return None
    # Runs of written words that say nothing but the subject ("STPMs",
    # "senior technical program manager"); the one saying most of it, the
    # most often, stands for it.
    runs: Counter[str] = Counter()
    covers: dict[str, int] = {}
    says_it: dict[str, bool] = {}  # a written word says nothing but the subject

    def only_subject(raw: str) -> bool:
        known = says_it.get(raw)
        if known is None:
            tokens = normalizer.tokens(raw)
            known = says_it[raw] = bool(tokens) and words.issuperset(tokens)
        return known

    for entry in index.entries:
        for text in (entry.title, *entry.questions):
            run: list[str] = []
            for raw in [*_RAW_WORD.findall(text), ""]:
                if raw and only_subject(raw):
                    run.append(raw)
                    continue
                if run:
                    said = " ".join(run)
                    runs[said] += 1
                    covers.setdefault(
                        said, len(words.intersection(normalizer.tokens(said)))
                    )
                run = []
    if not runs:
        return None
    said = max(runs, key=lambda s: (covers[s], runs[s], -len(s)))
    return Subject(words, said)
