"""Reload benchmark (not a test): what a hot reload of a large knowledge costs
the serving process, with the files parsed in that process or in a child.

    .venv/bin/python bench/reload_memory.py [--entries 50000] [--repeat 1]

Each run is a fresh process: a core over the shipped knowledge (lexical
matching, so the figures are about loading and indexing, not the sentence
model), then `--entries` more entries arrive in two files and the reloader
swaps them in. A thread that wakes every 5 ms stands in for the listener
that acks Slack's requests; its worst lateness is how long the reload kept
the interpreter from answering. Prints, per mode: the reload's seconds, the
serving process's RSS before and after and its peak, and the worst stall.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/reload_memory.py`
    sys.path.insert(0, str(ROOT))

from bot import logs  # noqa: E402
from bot.compose import build  # noqa: E402
from bot.knowledge import isolated, loading  # noqa: E402
from bot.knowledge.reload import Reloader  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.support.paths import KNOWLEDGE_DIR  # noqa: E402

MODES = ("in-process", "child")
WORDS = (
    "plan scope risk team vendor budget launch review metric roadmap cloud "
    "data security network model release quality process"
).split()
TICK = 0.005


def bulk_files(into: Path, entries: int, seed: int = 3) -> list[Path]:
    """`entries` short entries in two YAML files (each under the size cap)."""
    rng = random.Random(seed)
    half = entries // 2
    files = []
    for part, (start, stop) in enumerate(((0, half), (half, entries))):
        lines = ["entries:"]
        for i in range(start, stop):
            words = " ".join(rng.choice(WORDS) for _ in range(3))
            lines += [
                f"  - id: bulk-{i}",
                f"    title: {words} {i}",
                f"    answer: About {words} number {i}.",
            ]
        path = into / f"bulk{part}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    return files


def _rss_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Stalls:
    """A thread that wants to run every `TICK` seconds; the worst lateness."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            start = time.perf_counter()
            time.sleep(TICK)
            self.worst = max(self.worst, time.perf_counter() - start - TICK)

    def __enter__(self) -> Stalls:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def child(mode: str, bulk: Path) -> None:
    """One reload in this process, printed as one JSON object."""
    logs.configure("ERROR", "json")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "knowledge"
        shutil.copytree(KNOWLEDGE_DIR, directory)
        settings = Settings(
            _env_file=None,
            knowledge_dir=directory,
            data_dir=Path(tmp) / "data",
            semantic=False,
        )
        core = build(settings, counted=False)
        check = isolated.check if mode == "child" else loading.check
        reloader = Reloader(
            directory,
            core.library.swap,
            today=core.clock.today,
            current=core.library.snapshot().knowledge,
            check=check,
        )
        before = _rss_mb("VmRSS")
        for path in sorted(bulk.glob("*.yaml")):
            shutil.copy(path, directory / path.name)
        with Stalls() as stalls:
            start = time.perf_counter()
            ok = reloader.reload()
            seconds = time.perf_counter() - start
        entries = len(core.library.snapshot().knowledge.entries)
        print(
            json.dumps(
                {
                    "mode": mode,
                    "ok": ok,
                    "entries": entries,
                    "reload_s": seconds,
                    "rss_before_mb": before,
                    "rss_after_mb": _rss_mb("VmRSS"),
                    "rss_peak_mb": _rss_mb("VmHWM"),
                    "worst_stall_ms": stalls.worst * 1000,
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--bulk", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.bulk)
        return
    header = ("mode", "entries", "reload s", "RSS before", "after", "peak", "stall ms")
    print(" | ".join(header))
    with tempfile.TemporaryDirectory() as tmp:
        bulk_files(Path(tmp), args.entries)
        for _ in range(args.repeat):
            for mode in MODES:
                done = subprocess.run(
                    [sys.executable, __file__, "--child", mode, "--bulk", tmp],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                row = json.loads(done.stdout.strip().splitlines()[-1])
                assert row["ok"], done.stderr
                print(
                    f"{row['mode']} | {row['entries']:,} | {row['reload_s']:.1f} | "
                    f"{row['rss_before_mb']:.0f} MB | {row['rss_after_mb']:.0f} MB | "
                    f"{row['rss_peak_mb']:.0f} MB | {row['worst_stall_ms']:.0f}"
                )


if __name__ == "__main__":
    main()
