"""Retrieval benchmark: quality and speed of the retriever against a BM25
baseline on the real knowledge, then build time, p99 and peak memory on
synthetic knowledge of 1k, 10k and 100k entries.

    python bench/retrieval.py [--sizes 1000 10000 100000] [--repeat 5]

Not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rank_bm25 import BM25Okapi

from bot.knowledge import loading as knowledge_files
from bot.knowledge.models import Entry, Knowledge
from bot.search.evaluation import evaluate, load_set
from bot.search.retriever import Retriever
from bot.settings import DEFAULT_KNOWLEDGE_DIR
from bot.text.normalize import fold

ROOT = Path(__file__).resolve().parent.parent
SETS = (
    "questions.yaml",
    "holdout.yaml",
    "blind.yaml",
    "independent.yaml",
    "unseen.yaml",
)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(
    fn: Callable[[str], object], questions: list[str], repeat: int
) -> list[float]:
    for q in questions[:20]:
        fn(q)  # warm caches the way a running bot has them
    samples = []
    for _ in range(repeat):
        for q in questions:
            start = time.perf_counter()
            fn(q)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


class Bm25Baseline:
    """rank-bm25 over each entry's title, phrasings and answer."""

    def __init__(self, knowledge: Knowledge, threshold: float) -> None:
        self.entries = knowledge.entries
        self.threshold = threshold
        docs = [
            self.tokens(" ".join([e.title, *e.questions, e.answer]))
            for e in self.entries
        ]
        self.bm25 = BM25Okapi(docs)

    @staticmethod
    def tokens(text: str) -> list[str]:
        return "".join(c if c.isalnum() else " " for c in fold(text)).split()

    def best(self, question: str) -> tuple[Entry, float]:
        scores = self.bm25.get_scores(self.tokens(question))
        i = max(range(len(scores)), key=scores.__getitem__)
        return self.entries[i], float(scores[i])


def bm25_quality(
    baseline: Bm25Baseline, labelled: list[tuple[str, tuple[str, ...]]], oos: list[str]
) -> tuple[float, float]:
    """BM25 with the threshold that refuses 95 % of the set's out-of-scope."""
    oos_scores = sorted((baseline.best(q)[1] for q in oos), reverse=True)
    threshold = oos_scores[int(len(oos_scores) * 0.05)] + 1e-9 if oos_scores else 0
    right = sum(
        1
        for q, expect in labelled
        if (hit := baseline.best(q))[0].id in expect and hit[1] >= threshold
    )
    refused = sum(1 for s in oos_scores if s < threshold)
    return right / len(labelled), refused / max(1, len(oos_scores))


def real_knowledge(repeat: int) -> None:
    knowledge = knowledge_files.load(DEFAULT_KNOWLEDGE_DIR)
    retriever = Retriever(knowledge)
    baseline = Bm25Baseline(knowledge, 0.0)
    print(f"Real knowledge: {len(knowledge.entries)} entries")
    print(
        f"{'set':<18}{'method':<12}{'top-1':>8}{'refused':>9}{'p50 ms':>9}{'p99 ms':>9}"
    )
    for name in SETS:
        path = ROOT / "tests" / "eval" / name
        if not path.exists():
            continue
        labelled, oos = load_set(path)
        questions = [q for q, _ in labelled] + oos
        report = evaluate(retriever, labelled, oos)
        ours = timed(retriever.ask, questions, repeat)
        bm_top1, bm_refused = bm25_quality(baseline, labelled, oos)
        theirs = timed(baseline.best, questions, repeat)
        for method, top1, refused, samples in (
            ("retriever", report.top1_rate, report.refused_rate, ours),
            ("bm25", bm_top1, bm_refused, theirs),
        ):
            print(
                f"{name:<18}{method:<12}{top1:>8.3f}{refused:>9.3f}"
                f"{statistics.median(samples):>9.3f}{percentile(samples, 0.99):>9.3f}"
            )
    print("(bm25's threshold is fitted per set to refuse 95 % of its out-of-scope)")


def synthetic(size: int, seed: int = 7) -> tuple[Knowledge, list[str]]:
    rng = random.Random(seed)
    syllables = [
        a + b for a in "bcdfghklmnprstvz" for b in ("a", "e", "i", "o", "u", "ai", "ou")
    ]
    vocab = sorted(
        {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(30_000)}
    )

    def words(n: int) -> str:
        return " ".join(rng.choices(vocab, k=n))

    entries = [
        Entry(
            id=f"e{i}",
            title=words(rng.randint(2, 5)),
            answer=words(rng.randint(30, 60)),
            questions=tuple(words(rng.randint(5, 9)) for _ in range(4)),
        )
        for i in range(size)
    ]
    questions = []
    for e in rng.sample(entries, 200):
        picked = rng.choice(e.questions).split()
        if len(picked) > 3:
            picked[0] = picked[0][:-1] + "x"  # a typo
        questions.append(" ".join(picked))
    return Knowledge.of(entries), questions


def scale_child(size: int, repeat: int) -> None:
    """Run in a fresh process so peak memory is this size's alone."""
    import resource

    knowledge, questions = synthetic(size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    retriever = Retriever(knowledge)
    build = time.perf_counter() - start
    samples = timed(retriever.ask, questions, repeat)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "size": size,
                "build_s": build,
                "p50_ms": statistics.median(samples),
                "p99_ms": percentile(samples, 0.99),
                "peak_rss_mb": peak / 1024,
                "index_mb": (peak - before) / 1024,
            }
        )
    )


def scales(sizes: list[int], repeat: int) -> None:
    print("\nSynthetic knowledge (random words, questions with a typo)")
    header = ("entries", "build s", "p50 ms", "p99 ms", "peak RSS MB", "index MB")
    print(
        "".join(f"{h:>{w}}" for h, w in zip(header, (8, 9, 9, 9, 13, 10), strict=True))
    )
    for size in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size), "--repeat", str(repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['size']:>8}{r['build_s']:>9.2f}{r['p50_ms']:>9.3f}{r['p99_ms']:>9.3f}"
            f"{r['peak_rss_mb']:>13.0f}{r['index_mb']:>10.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scale_child(args.child, args.repeat)
        return
    real_knowledge(args.repeat)
    scales(args.sizes, args.repeat)


if __name__ == "__main__":
    main()
