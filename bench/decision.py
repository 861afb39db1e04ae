"""Could the answer decision be learnt? A logistic regression in place of the
hybrid's threshold, margin and lead, on the STPM development sets only.

    python bench/decision.py

Two fits, each printed beside the shipped rules at several bars (answer when
the fitted probability of a right first answer reaches the bar):

- `at load`: what the retriever could learn when it is built, from the
  collection's own phrasings. Each fifth of them is left out in turn (its
  entry keeps its other phrasings) and asked: a positive when its entry
  comes first, and asked again with its entry and the entries linked to it
  left out, a negative (the best impostor).
- `on labels`: fitted on the development sets' own labels, five-fold (each
  question judged by a fit without it): what these features could do at
  best, not something to ship.

Features of the first entry: the hybrid score, its cosine and lexical score,
its lead over the first unrelated runner-up and over the mean of the next
five, and the share of the question's words its collection knows. Not a test:
it prints figures and never fails on them. It reads the retriever's internals
to take the score apart.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.retrieval import QuestionSet, resolver, stpm_sets
from bot.knowledge import loading
from bot.knowledge.models import Knowledge
from bot.search import calibration
from bot.search.retriever import HYBRID, LEAD_OVER, Retriever
from bot.search.semantic import EmbeddingCache, SemanticIndex, load_embedder
from bot.settings import DEFAULT_MODEL_DIR
from bot.text.markup import focus
from tests.support.paths import KNOWLEDGE_DIR

FOLDS = 5
# The development sets the decision was studied on (later ones, marked
# `dev` since, were not).
FITTED_ON = ("questions", "holdout", "blind", "nearmiss")
BARS = (0.3, 0.5, 0.7, 0.9)
Floats = NDArray[np.float64]


def features(
    retriever: Retriever, question: str, without: Sequence[int] = ()
) -> tuple[int, list[float]] | None:
    """The first entry (its position) and its features; `without`: entries
    left out of the ranking. None for a question with no content words."""
    semantic = retriever.semantic
    assert semantic is not None
    tokens = retriever._tokens(question)
    if not tokens:
        return None
    entries = retriever.knowledge.entries
    lexical = np.zeros(len(entries))
    known = np.zeros(len(entries))
    for index, where in retriever._parts:
        query = index.query(tokens)
        for i, score in index.scores(query, index.candidates(query)):
            lexical[where[i]] = score
        known[list(where)] = query.known
    cosines = semantic.similarities(focus(question, 500), list(np.nonzero(lexical)[0]))
    hybrid = cosines.clip(0, 1) * retriever._semantic_scale
    hybrid = hybrid + np.array(retriever._lexical_share) * lexical
    hybrid[list(without)] = -1.0
    order = [int(i) for i in np.argsort(-hybrid, kind="stable")]
    top = entries[order[0]]
    rivals = [
        float(hybrid[i])
        for i in order[1:]
        if entries[i].id not in top.related and top.id not in entries[i].related
    ][:LEAD_OVER]
    best = float(hybrid[order[0]])
    gap = best - rivals[0] if rivals else 30.0
    lead = best - sum(rivals) / len(rivals) if rivals else 30.0
    t = order[0]
    return t, [best, 100 * float(cosines[t]), float(lexical[t]), gap, lead, known[t]]


def probes(retriever: Retriever, cache: EmbeddingCache) -> tuple[Floats, Floats]:
    """Features and labels of the collections' phrasings, each fifth left out
    in turn: asked against the rest, and without its entry."""
    rows: list[list[float]] = []
    labels: list[float] = []
    knowledge = retriever.knowledge
    entries = knowledge.entries
    for _, where in retriever._parts:
        many = [i for i in where if len(entries[i].questions) >= 2]
        if len(many) < calibration.MIN_PROBES:
            continue  # an ingested FAQ: one question an entry, no positives
        linked = calibration.rivals(entries, where)
        for fold in range(FOLDS):
            kept, asked = list(entries), []
            for i in many:
                phrasings = entries[i].questions
                rest = tuple(q for k, q in enumerate(phrasings) if k % FOLDS != fold)
                out = [q for k, q in enumerate(phrasings) if k % FOLDS == fold]
                if rest and out:
                    kept[i] = entries[i].model_copy(update={"questions": rest})
                    asked += [(i, q) for q in out]
            part = Knowledge.of(kept, knowledge.tips, knowledge.synonyms)
            config = replace(retriever.config, calibrate=False)
            left_out = Retriever(part, config, SemanticIndex(part, cache))
            for i, question in asked:
                for without, positive in (((), True), (sorted(linked(i)), False)):
                    found = features(left_out, question, without)
                    if found is not None:
                        rows.append(found[1])
                        labels.append(float(positive and found[0] == i))
    return np.array(rows), np.array(labels)


def fit(x: Floats, y: Floats, l2: float = 1.0) -> Callable[[Floats], Floats]:
    """Logistic regression by Newton's method on standardized features."""
    mean, spread = x.mean(0), x.std(0) + 1e-9

    def design(rows: Floats) -> Floats:
        out: Floats = np.c_[np.ones(len(rows)), (rows - mean) / spread]
        return out

    z = design(x)
    w = np.zeros(z.shape[1])
    penalty = l2 * np.diag([0.0] + [1.0] * (z.shape[1] - 1))
    for _ in range(30):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        w -= np.linalg.solve(hessian, gradient)
    return lambda rows: 1 / (1 + np.exp(-design(rows) @ w))


def main() -> None:
    embedder = load_embedder(DEFAULT_MODEL_DIR)
    if embedder is None:
        raise SystemExit("the sentence model did not load: nothing to learn from")
    knowledge = loading.load(KNOWLEDGE_DIR)
    sets = [s for s in stpm_sets() if s.name in FITTED_ON]
    resolve = resolver(knowledge)
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp), embedder)
        retriever = Retriever(knowledge, HYBRID, SemanticIndex(knowledge, cache))
        x_load, y_load = probes(retriever, cache)
        # Each development question: its features, whether the first entry is
        # right, whether it is in scope, whether the shipped rules answer it
        # (a question with no content words has no features: never answered).
        asked: list[tuple[QuestionSet, list[float] | None, bool, bool, bool]] = []
        for qset in sets:
            pairs = [(q, resolve(e)) for q, e in qset.labelled]
            pairs += [(q, set()) for q in qset.out_of_scope]
            for question, right in pairs:
                found = features(retriever, question)
                answered = retriever.ask(question).best is not None
                if found is None:
                    asked.append((qset, None, False, bool(right), answered))
                    continue
                first = retriever.knowledge.entries[found[0]].id in right
                asked.append((qset, found[1], first, bool(right), answered))
    scored = [a for a in asked if a[1] is not None]
    x = np.array([a[1] for a in scored])
    y = np.array([float(a[2]) for a in scored])
    on_labels = np.zeros(len(y))
    fold = np.arange(len(y)) % FOLDS
    for k in range(FOLDS):
        on_labels[fold == k] = fit(x[fold != k], y[fold != k])(x[fold == k])
    fitted = {"at load": fit(x_load, y_load)(x), "on labels": on_labels}
    print(
        f"Learnt decision, STPM development sets ({len(y_load)} probes at load,"
        f" {int(y_load.sum())} positive): top-1 / out-of-scope refused"
    )
    print(f"{'decision':<18}" + "".join(f"{s.name:>15}" for s in sets))

    def row(label: str, answers: Sequence[bool]) -> None:
        cells = []
        for qset in sets:
            mine = [
                (a, ok) for a, ok in zip(asked, answers, strict=True) if a[0] is qset
            ]
            ins = [a[2] and ok for a, ok in mine if a[3]]
            outs = [not ok for a, ok in mine if not a[3]]
            top1 = f"{sum(ins) / len(ins):.3f}" if ins else "  -  "
            refused = f"{sum(outs) / len(outs):.3f}" if outs else "  -  "
            cells.append(f"{top1} / {refused}")
        print(f"{label:<18}" + "".join(f"{c:>15}" for c in cells))

    row("shipped rules", [a[4] for a in asked])
    for name, chances in fitted.items():
        for bar in BARS:
            passed = iter(chances >= bar)
            row(f"{name} >= {bar}", [a[1] is not None and next(passed) for a in asked])


if __name__ == "__main__":
    main()
