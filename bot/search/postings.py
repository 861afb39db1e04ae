"""The inverted index: each word of the knowledge and the entries that have it.

Building it means normalizing every text of every entry, millions of words at
100k entries, which in pure Python is several seconds of one core. From
`PARALLEL_FROM` entries on, the work is split into consecutive slices, one per
core: this process builds the first while worker processes build the others.
A worker is a fresh interpreter running this module (`python -P -m
bot.search.postings`), not a fork, so a running bot's threads and locks stay out of
it, and nothing else of the program is imported into it. It reads its slice
from a private file and writes each word's entry positions back, packed, on
its standard output; they join the first slice's lists in order. A worker
that cannot start, fails, or has no result by the build's deadline has its
slice built here instead.
"""

from __future__ import annotations

import gc
import marshal
import os
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise, repeat
from pathlib import Path
from typing import NamedTuple, TypeAlias

import structlog

from bot.settings import worker_environment
from bot.text.normalize import Normalizer

PARALLEL_FROM = 20_000
MAX_WORKERS = 4
# A slice of 50k entries takes about 5 s; workers not done by this many
# seconds after the build started are stuck.
WORKER_TIMEOUT = 600.0
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent

# Entry positions, ascending, packed as unsigned ints: half the memory of a
# list, and sent between processes as bytes.
Postings: TypeAlias = "dict[str, array[int]]"
Texts = Sequence[Sequence[str]]

_gc_lock = threading.Lock()
_gc_holds = 0
_gc_was_enabled = True


@contextmanager
def no_gc() -> Iterator[None]:
    """Cyclic GC off while any index builds (counted: builds may overlap).

    A build allocates millions of small objects and frees none: collection
    passes during it are pure overhead (about a quarter of the time).
    """
    global _gc_holds, _gc_was_enabled
    with _gc_lock:
        if _gc_holds == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holds += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holds -= 1
            if _gc_holds == 0 and _gc_was_enabled:
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
    timeout: float = WORKER_TIMEOUT,
) -> Postings:
    """Postings of entries given as their texts (names, questions, answer),
    in `workers` processes, the others running `interpreter` and given
    `timeout` seconds."""
    with no_gc():
        if workers > 1 and len(texts) >= workers:
            try:
                with tempfile.TemporaryDirectory(prefix="stpm-bot-index-") as folder:
                    launch = _Launch(Path(folder), interpreter, timeout)
                    return _parallel(texts, normalizer, workers, launch)
            except OSError as error:  # no private folder to hand slices over
                structlog.get_logger().warning(
                    "index.workers_failed", error=str(error)[:200]
                )
        return _packed(_slice(texts, 0, normalizer))


class _Launch(NamedTuple):
    folder: Path
    interpreter: str
    timeout: float


def _parallel(
    texts: Texts, normalizer: Normalizer, workers: int, launch: _Launch
) -> Postings:
    n = len(texts)
    bounds = [n * k // workers for k in range(workers + 1)]
    # This process builds the first slice, a worker each of the others.
    others = [_Worker(texts[a:b], a, normalizer) for a, b in pairwise(bounds[1:])]
    deadline = time.monotonic() + launch.timeout  # for all of them together
    try:
        for worker in others:
            worker.start(launch)
        merged = _packed(_slice(texts[: bounds[1]], 0, normalizer))
        for worker in others:
            left = max(0.0, deadline - time.monotonic())
            for word, packed in worker.result(left).items():
                if word in merged:
                    merged[word].frombytes(packed)
                else:
                    merged[word] = array("I", packed)
        return merged
    finally:  # on the way out, even by an exception, no worker is left behind
        for worker in others:
            worker.stop()


class _Worker:
    """One slice built by a worker process, or here if the worker fails."""

    def __init__(self, texts: Texts, offset: int, normalizer: Normalizer) -> None:
        self.texts = texts
        self.offset = offset
        self.normalizer = normalizer
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, launch: _Launch) -> None:
        job = ([list(t) for t in self.texts], self.offset, self.normalizer.synonyms)
        path = launch.folder / f"slice-{self.offset}"
        # `-P`: not the working directory's `bot/`, if it has one, but ours.
        env = worker_environment(os.environ)  # no token, no database password
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")])
        )
        try:
            path.write_bytes(marshal.dumps(job))
            self.process = subprocess.Popen(
                [launch.interpreter, "-P", "-m", "bot.search.postings", str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
        except (OSError, ValueError) as error:
            self._failed(str(error))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()

    def result(self, timeout: float) -> dict[str, bytes]:
        found = self._received(self.process, timeout) if self.process else None
        if found is not None:
            return found
        return _as_bytes(_slice(self.texts, self.offset, self.normalizer))

    def _received(
        self, process: subprocess.Popen[bytes], timeout: float
    ) -> dict[str, bytes] | None:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            self._failed("no result by the build's deadline")
            return None
        if process.returncode != 0:
            self._failed(err.decode(errors="replace").strip()[-200:])
            return None
        try:
            found: dict[str, bytes] = marshal.loads(out)
        except (EOFError, ValueError, TypeError) as error:
            self._failed(f"unreadable result: {error}")
            return None
        return found

    def _failed(self, error: str) -> None:
        structlog.get_logger().warning(
            "index.worker_failed", offset=self.offset, error=error
        )


def _serve(path: str) -> None:
    """A worker's life: one slice from `path`, its postings to stdout."""
    gc.disable()
    texts, offset, synonyms = marshal.loads(Path(path).read_bytes())
    found = _slice(texts, offset, Normalizer(synonyms))
    sys.stdout.buffer.write(marshal.dumps(_as_bytes(found)))


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


def _as_bytes(postings: dict[str, list[int]]) -> dict[str, bytes]:
    return {word: packed.tobytes() for word, packed in _packed(postings).items()}


if __name__ == "__main__":
    _serve(sys.argv[1])
