"""The inverted index: each word of the knowledge and the entries that have it.

Building it means normalizing every text of every entry, millions of words at
100k entries, which in pure Python is several seconds of one core. Past
`PARALLEL_FROM` entries the work is split into consecutive slices, one per
core: this process builds the first while worker processes build the others.
A worker is a fresh interpreter running this module (`python -m
bot.postings`), not a fork, so a running bot's threads and locks stay out of
it, and nothing else of the program is imported into it. It reads its slice
from a private file and writes each word's entry positions back, packed, on
its standard output; they join the first slice's lists in order. A worker
that cannot start or fails has its slice built here instead.
"""

from __future__ import annotations

import gc
import marshal
import os
import subprocess
import sys
import tempfile
import threading
from array import array
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise, repeat
from pathlib import Path
from typing import TypeAlias

import structlog

from bot.normalize import Normalizer

PARALLEL_FROM = 20_000
MAX_WORKERS = 4
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent

# Entry positions, ascending, packed as unsigned ints: half the memory of a
# list, and sent between processes as bytes.
Postings: TypeAlias = "dict[str, array[int]]"
Texts = Sequence[Sequence[str]]

_gc_lock = threading.Lock()
_gc_holds = 0


@contextmanager
def no_gc() -> Iterator[None]:
    """Cyclic GC off while any index builds (counted: builds may overlap).

    A build allocates millions of small objects and frees none: collection
    passes during it are pure overhead (about a quarter of the time).
    """
    global _gc_holds
    with _gc_lock:
        if _gc_holds == 0:
            gc.disable()
        _gc_holds += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holds -= 1
            if _gc_holds == 0:
                gc.enable()


def workers_for(size: int, wanted: int = 0) -> int:
    """How many processes share building an index of `size` entries: 1 below
    `PARALLEL_FROM`, else `wanted`, or (0) one per core this process may use."""
    if size < PARALLEL_FROM:
        return 1
    if wanted:
        return wanted
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - platforms without CPU affinity
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def build(
    texts: Texts,
    normalizer: Normalizer,
    workers: int = 1,
    interpreter: str = sys.executable,
) -> Postings:
    """Postings of entries given as their texts (names, questions, answer),
    in `workers` processes, the others running `interpreter`."""
    with no_gc():
        if workers <= 1 or len(texts) < workers:
            return _packed(_slice(texts, 0, normalizer))
        n = len(texts)
        bounds = [n * k // workers for k in range(workers + 1)]
        with tempfile.TemporaryDirectory(prefix="stpm-bot-index-") as folder:
            started = [
                _Worker(texts[start:end], start, normalizer, Path(folder), interpreter)
                for start, end in pairwise(bounds[1:])
            ]
            merged = _packed(_slice(texts[: bounds[1]], 0, normalizer))
            for worker in started:
                for word, packed in worker.result().items():
                    merged.setdefault(word, array("I")).frombytes(packed)
        return merged


class _Worker:
    """One slice built by a worker process, or here if the worker fails."""

    def __init__(
        self,
        texts: Texts,
        start: int,
        normalizer: Normalizer,
        folder: Path,
        interpreter: str,
    ) -> None:
        self.texts = texts
        self.start = start
        self.normalizer = normalizer
        self.process: subprocess.Popen[bytes] | None = None
        job = ([list(t) for t in self.texts], start, normalizer.synonyms)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")])
        )
        path = folder / f"slice-{start}"
        try:
            path.write_bytes(marshal.dumps(job))
            self.process = subprocess.Popen(
                [interpreter, "-m", "bot.postings", str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
        except (OSError, ValueError) as error:
            self._failed(str(error))

    def result(self) -> dict[str, bytes]:
        if self.process is not None:
            out, err = self.process.communicate()
            if self.process.returncode == 0:
                try:
                    found: dict[str, bytes] = marshal.loads(out)
                    return found
                except (EOFError, ValueError, TypeError) as error:
                    self._failed(f"unreadable result: {error}")
            else:
                self._failed(err.decode(errors="replace").strip()[-200:])
        return {
            word: array("I", at).tobytes()
            for word, at in _slice(self.texts, self.start, self.normalizer).items()
        }

    def _failed(self, error: str) -> None:
        self.process = None
        structlog.get_logger().warning(
            "index.worker_failed", start=self.start, error=error
        )


def _serve(path: str) -> None:
    """A worker's life: one slice from `path`, its postings to stdout."""
    gc.disable()
    texts, offset, synonyms = marshal.loads(Path(path).read_bytes())
    found = _slice(texts, offset, Normalizer(synonyms))
    packed = {word: array("I", at).tobytes() for word, at in found.items()}
    sys.stdout.buffer.write(marshal.dumps(packed))


def _slice(texts: Texts, offset: int, normalizer: Normalizer) -> dict[str, list[int]]:
    vocabulary = normalizer.vocabulary
    postings: dict[str, list[int]] = defaultdict(list)
    # Each entry's words go on their lists through C-level `map`s: a Python
    # loop per (entry, word) pair takes about twice as long.
    sink = deque[None](maxlen=0).extend
    slot = postings.__getitem__
    for i, entry_texts in enumerate(texts, offset):
        sink(map(list.append, map(slot, vocabulary(entry_texts)), repeat(i)))
    return postings


def _packed(postings: dict[str, list[int]]) -> Postings:
    return {word: array("I", at) for word, at in postings.items()}


if __name__ == "__main__":
    _serve(sys.argv[1])
