"""Thresholds per collection from its own phrasings: the arithmetic."""

from __future__ import annotations

import numpy as np

from bot.knowledge.models import Entry
from bot.search.calibration import (
    MAX_PROBES,
    MIN_PROBES,
    QUANTILE,
    Thresholds,
    probes,
    quantile,
    rivals,
    thresholds,
)


def entry(id: str, n: int, related: tuple[str, ...] = ()) -> Entry:
    questions = tuple(f"question {k} about {id}" for k in range(n))
    return Entry(id=id, title=id, answer=id, questions=questions, related=related)


def test_the_quantile_is_numpys() -> None:
    """Linear between ranks, as numpy.quantile computes it by default."""
    values = [71.0, 12.5, 60.2, 33.0, 58.0, 90.0, 44.4]
    for q in (0.0, 0.1, QUANTILE, 0.5, 0.9, 1.0):
        assert abs(float(np.quantile(values, q)) - quantile(values, q)) < 1e-9


def test_too_few_hard_negatives_keep_the_configured_thresholds() -> None:
    """Four phrasings say nothing about a collection: 60 and 50 stay."""
    assert Thresholds(60.0, 50.0) == thresholds([70.0] * (MIN_PROBES - 1), 60, 50)


def test_the_threshold_follows_the_collection_and_keeps_the_gap() -> None:
    """Wrong entries scoring high raise the bar; suggestions stay 10 below."""
    learnt = thresholds([70.0, 72.0, 75.0, 80.0, 90.0], 60, 50)
    assert learnt == Thresholds(72.0, 62.0, calibrated=True)


def test_the_threshold_never_falls_more_than_allowed_below_the_configured() -> None:
    """An FAQ whose questions share little keeps the configured bar, or goes
    as far under it as allowed."""
    negatives = [10.0, 12.0, 20.0, 25.0, 30.0]
    assert Thresholds(60, 50, calibrated=True) == thresholds(negatives, 60, 50)
    assert Thresholds(58, 48, calibrated=True) == thresholds(negatives, 60, 50, 2)


def test_probes_are_every_phrasing_or_an_even_spread() -> None:
    """A small collection is asked all its phrasings; a big one MAX_PROBES of
    them, from first to last entry, the same ones every time."""
    small = [entry("a", 3), entry("b", 2)]
    assert [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)] == probes(small, [0, 1])
    big = [entry(f"e{i}", 4) for i in range(200)]
    chosen = probes(big, range(200))
    assert MAX_PROBES == len(chosen) == len(set(chosen))
    assert chosen == probes(big, range(200))
    assert chosen[0][0] == 0 and chosen[-1][0] == 199


def test_an_entry_is_not_its_own_or_its_linked_entries_negative() -> None:
    """Links count either way; other entries are fair rivals."""
    entries = [entry("a", 1, related=("b",)), entry("b", 1), entry("c", 1)]
    not_for = rivals(entries, [0, 1, 2])
    assert {0, 1} == not_for(0)
    assert {0, 1} == not_for(1)
    assert {2} == not_for(2)
