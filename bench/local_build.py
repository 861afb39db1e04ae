"""What the rules for questions about this company, its people or a moment,
and on topics the knowledge may never speak of, add to building the
retriever: every entry's title, phrasings and answer read once
(`bot.text.reference`). Builds by words only over the retrieval
bench's synthetic knowledge, alternating without and with the rule.

    python bench/local_build.py [--sizes 10000 100000] [--repeat 2]

Run it under the bench lock: it prints times, and never fails on them.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.retrieval import synthetic
from bot.search.retriever import Retriever, RetrieverConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print("Building the retriever by words only, seconds per build")
    print(f"{'entries':>8}  {'without the rule':<24}{'with it':<24}")
    for size in args.sizes:
        knowledge, _ = synthetic(size)
        runs: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.repeat):
            for on in (False, True):
                config = replace(RetrieverConfig(), local_references=on)
                start = time.perf_counter()
                Retriever(knowledge, config)
                runs[on].append(time.perf_counter() - start)
        cells = [" ".join(f"{s:.2f}" for s in runs[on]) for on in (False, True)]
        print(f"{size:>8}  {cells[0]:<24}{cells[1]:<24}", flush=True)


if __name__ == "__main__":
    main()
