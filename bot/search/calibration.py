"""Answer and suggest thresholds per collection, learnt from the collection's
own phrasings when the retriever is built.

A hybrid score means different things in different knowledge: in a curated
collection whose phrasings all name its subject ("what skills does an stpm
need", "how does an stpm stay current"), a question about one topic scores
high on the others too; in an FAQ whose questions share little, a wrong entry
scores low. So each collection is asked its own phrasings, each against the
collection without the phrasing's entry and the entries linked to it (leave
one entry out): the best score left is what a question the collection does
not answer, but that sounds like it, gets. The answer threshold is the
`QUANTILE` of those scores, but never more than `below` under the configured
one (0 in the shipped hybrid: lower, an FAQ answers more of the questions it
is asked in other words, but also about half as many more that it doesn't
answer), and the suggest threshold keeps the configured distance below it.

Deterministic (no sampling at random) and cheap: at most `MAX_PROBES`
phrasings a collection, scored with the vectors already computed. A
collection of more than `UP_TO` entries keeps the configured thresholds:
there, scoring the phrasings would build every entry's scoring data at start
and take seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.knowledge.models import Entry
from bot.search.index import SMALL_INDEX

QUANTILE = 0.25
MIN_PROBES = 5  # fewer hard negatives than this say nothing: the config's
MAX_PROBES = 300
UP_TO = SMALL_INDEX  # entries: the index builds all its scoring data up to here


@dataclass(frozen=True)
class Thresholds:
    answer: float
    suggest: float
    calibrated: bool = False


def probes(entries: Sequence[Entry], where: Sequence[int]) -> list[tuple[int, int]]:
    """(entry position, phrasing number) of the collection's phrasings, at
    most `MAX_PROBES`, spread evenly over them."""
    every = [(i, k) for i in where for k in range(len(entries[i].questions))]
    if len(every) <= MAX_PROBES:
        return every
    step = len(every) / MAX_PROBES
    return [every[int(n * step)] for n in range(MAX_PROBES)]


def rivals(entries: Sequence[Entry], where: Sequence[int]) -> Callable[[int], set[int]]:
    """The entries of the collection a phrasing of entry `i` must not be
    credited to: itself and the entries linked to it either way."""
    ids = {entries[i].id: i for i in where}
    linked: dict[int, set[int]] = {i: {i} for i in where}
    for i in where:
        for other in entries[i].related:
            if other in ids:
                linked[i].add(ids[other])
                linked[ids[other]].add(i)
    return linked.__getitem__


def quantile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    at = q * (len(ordered) - 1)
    low = math.floor(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def thresholds(
    negatives: Sequence[float], answer: float, suggest: float, below: float = 0.0
) -> Thresholds:
    """The collection's thresholds from its hard negatives' scores, at most
    `below` under the configured `answer`; the configured `answer` and
    `suggest` when there are too few of them."""
    if len(negatives) < MIN_PROBES:
        return Thresholds(answer, suggest)
    calibrated = max(answer - below, quantile(negatives, QUANTILE))
    return Thresholds(calibrated, calibrated - (answer - suggest), calibrated=True)
