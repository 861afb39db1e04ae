"""Sentence embeddings: what a question means, beside what words it uses.

The model (all-MiniLM-L6-v2 as int8 ONNX, `deploy/model/`) runs with
onnxruntime and tokenizers; nothing is downloaded. `load_embedder` checks the
files against `model.sha256` and returns None, with one log line, when the
model or its runtime is missing, so the bot answers lexical-only instead.

Every text is embedded on its own (no padding): an int8 vector then depends
only on the text and the model, so a vector cached on disk is the one the
model would give now, and a question is embedded exactly as the knowledge was.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
import structlog
from numpy.typing import NDArray

from bot.knowledge.models import Knowledge
from bot.search.index import names
from bot.text.normalize import SpelledOut

Vectors = NDArray[np.float32]

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
HASHES_FILE = "model.sha256"
MAX_TOKENS = 256  # the model's max_seq_length
DIMENSION = 384
SHORTLIST_FROM = 2000
SHORTLIST = 200
MEANS_BLOCK = 1024  # entries whose mean vectors are summed at once
QUESTION_CACHE = 1024
FORMAT = "v2"  # the cache file's layout
KEY_BYTES = 32  # sha256
CHECKED_FILE = "model-checked.json"  # in the embedding cache folder
WRITE_EVERY = 2000  # texts embedded between two writes of the cache
MAX_WORKERS = 4  # threads embedding many texts at once (onnxruntime releases the GIL)

log = structlog.get_logger()


class Embedder(Protocol):
    """Unit-length sentence vectors; `version` names the model exactly."""

    version: str

    def embed(self, texts: Sequence[str]) -> Vectors: ...


class ModelError(Exception):
    """The model files are missing, altered or unreadable."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_files(directory: Path, checked: Path | None = None) -> dict[str, str]:
    """The model's files with their sha256, checked against `model.sha256`;
    `ModelError` naming the file that is missing or differs.

    `checked`: a file remembering each file's sha256 with its inode, size and
    modification and change times, so a start whose files are the ones
    checked before reads the hashes from it instead of hashing 23 MB again.
    A file written, replaced or touched since (a new inode or change time,
    which no program can set back) is hashed again.
    """
    hashes = directory / HASHES_FILE
    try:
        listed = {
            name.strip(): digest
            for digest, name in (
                line.split(maxsplit=1)
                for line in hashes.read_text(encoding="utf-8").splitlines()
                if line.strip()
            )
        }
    except (OSError, ValueError) as error:
        raise ModelError(
            f"{hashes}: cannot read the model's hashes ({error})"
        ) from None
    remembered = _remembered(checked)
    seen: dict[str, list[int | str]] = {}
    result = {}
    for name in (MODEL_FILE, TOKENIZER_FILE):
        path = directory / name
        if name not in listed:
            raise ModelError(f"{hashes}: no sha256 for {name}")
        try:
            stat = path.stat()
            identity: list[int | str] = [
                stat.st_dev,
                stat.st_ino,
                stat.st_size,
                stat.st_mtime_ns,
                stat.st_ctime_ns,
            ]
            key = str(path.resolve())
            before = remembered.get(key)
            if before is not None and before[:-1] == identity:
                actual = str(before[-1])
            else:
                actual = _sha256(path)
        except OSError as error:
            raise ModelError(f"{path}: {error.strerror or error}") from None
        if actual != listed[name]:
            raise ModelError(f"{path}: sha256 {actual[:12]}… is not the listed one")
        seen[key] = [*identity, actual]
        result[name] = actual
    if checked is not None and seen != remembered:
        _remember(checked, seen)
    return result


def _remembered(checked: Path | None) -> dict[str, list[int | str]]:
    if checked is None:
        return {}
    try:
        found = json.loads(checked.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, list) and len(v) == 6}


def _remember(checked: Path, seen: dict[str, list[int | str]]) -> None:
    """Written atomically; a cache that can't be written only costs time."""
    try:
        checked.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=checked.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(seen, f)
        Path(name).chmod(0o644)
        Path(name).replace(checked)
    except OSError as error:
        log.debug("semantic.check_unremembered", path=str(checked), error=str(error))


class OnnxEmbedder:
    """all-MiniLM-L6-v2: mean of the token vectors, L2-normalised."""

    def __init__(
        self,
        directory: Path,
        threads: int = 1,
        workers: int = 0,
        checked: Path | None = None,
    ) -> None:
        """`threads`: the model's threads per text; `workers`: texts embedded
        at once when there are many (0: one per core, at most 4); `checked`:
        see `verified_files`."""
        import onnxruntime as ort  # type: ignore[import-untyped]
        from tokenizers import Tokenizer

        self.workers = workers or min(MAX_WORKERS, _cores())
        hashes = verified_files(directory, checked)
        self.version = hashes[MODEL_FILE][:16] + hashes[TOKENIZER_FILE][:8]
        tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(directory / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text; many texts (a cold start, a big reload)
        are embedded on every core the process may use."""
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        workers = min(self.workers, len(texts) // 64)
        if workers < 2:
            for row, text in enumerate(texts):
                out[row] = self._one(text)
            return out
        with ThreadPoolExecutor(workers, thread_name_prefix="embed") as pool:
            for row, vector in enumerate(pool.map(self._one, texts, chunksize=32)):
                out[row] = vector
        return out

    def _one(self, text: str) -> Vectors:
        # A lone surrogate (half an emoji) is not text to the tokenizer.
        text = text.encode("utf-8", "replace").decode("utf-8")
        encoding = self._tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        inputs = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids),
        }
        hidden = self._session.run(["last_hidden_state"], inputs)[0][0]
        pooled = hidden.mean(axis=0)
        unit: Vectors = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return unit


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def load_embedder(
    directory: Path, threads: int = 1, workers: int = 0, checked: Path | None = None
) -> Embedder | None:
    """The model in `directory`, tried once, or None (one `semantic.off`
    warning saying why) when its runtime can't be loaded or its files are
    missing, altered, or not a model of the expected shape. `checked`: see
    `verified_files`."""
    try:
        embedder = OnnxEmbedder(directory, threads, workers, checked)
        probe = embedder.embed(["probe"])
        if probe.shape != (1, DIMENSION) or not np.isfinite(probe).all():
            raise ModelError(f"{directory / MODEL_FILE}: not a {DIMENSION}-d model")
        return embedder
    except ImportError as error:
        reason = f"{error.name or 'onnxruntime'} could not be loaded ({error})"
    except ModelError as error:
        reason = str(error)
    except Exception as error:  # onnxruntime's own errors have no common base
        reason = f"{directory / MODEL_FILE}: {str(error)[:200]}"
    log.warning("semantic.off", reason=reason, answering="lexical only")
    return None


class EmbeddingCache:
    """Vectors of the knowledge's texts on disk, keyed by the text and the
    model: start-up and reload embed only what changed.

    One file per model version (`<version>.npz`), replaced atomically, so a
    crash mid-write or two replicas writing at once leave a whole file. A file
    that can't be read is ignored (one warning) and rewritten.

    In memory the vectors are one read-only matrix, one row per distinct
    text, which the `SemanticIndex` built from it shares: a knowledge's
    vectors are held once, not once by the cache and again by the index.
    """

    def __init__(self, directory: Path | None, embedder: Embedder) -> None:
        self.directory = directory
        self.embedder = embedder
        self._lock = threading.Lock()
        self._rows: dict[bytes, int] | None = None  # key -> row of _matrix
        self._matrix: Vectors = np.zeros((0, DIMENSION), dtype=np.float32)
        self.embedded = 0  # texts the model had to embed (not found cached)

    @property
    def path(self) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / f"{self.embedder.version}.{FORMAT}.npz"

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()

    def _read(self) -> tuple[dict[bytes, int], Vectors]:
        empty = np.zeros((0, DIMENSION), dtype=np.float32)
        path = self.path
        if path is None or not path.exists():
            return {}, empty
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
            if keys.ndim != 2 or keys.shape[1] != KEY_BYTES:
                raise ValueError(f"keys of shape {keys.shape}")
            if vectors.shape != (len(keys), DIMENSION):
                raise ValueError(f"shape {vectors.shape} for {len(keys)} keys")
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            log.warning("embeddings.cache_unreadable", path=str(path), error=str(error))
            return {}, empty
        raw = keys.tobytes()
        rows = {raw[n * KEY_BYTES : (n + 1) * KEY_BYTES]: n for n in range(len(keys))}
        matrix = vectors.astype(np.float32, copy=False)
        matrix.flags.writeable = False
        return rows, matrix

    def _write(self, keys: Sequence[bytes], vectors: Vectors) -> None:
        path = self.path
        if path is None:
            return
        tmp: Path | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            tmp = Path(name)
            with os.fdopen(fd, "wb") as f:
                # Raw bytes, not "S32": numpy strips a digest's trailing NULs.
                raw = np.frombuffer(b"".join(keys), dtype=np.uint8)
                packed = raw.reshape(len(keys), KEY_BYTES)
                np.savez(f, keys=packed, vectors=vectors)
                f.flush()
                os.fsync(f.fileno())
            tmp.chmod(0o644)  # mkstemp's 0600 would lock out other users' runs
            tmp.replace(path)
            _remove_stale(path.parent)
        except OSError as error:
            log.warning("embeddings.cache_unwritable", path=str(path), error=str(error))
            if tmp is not None:
                tmp.unlink(missing_ok=True)

    def vectors(self, texts: Sequence[str]) -> Vectors:
        """(len(texts), DIMENSION) unit vectors, a copy (`rows` shares them)."""
        matrix, rows = self.rows(texts)
        return matrix[rows]

    def rows(self, texts: Sequence[str]) -> tuple[Vectors, NDArray[np.intp]]:
        """A read-only matrix with one unit vector per distinct text, and the
        row of each of `texts` in it; from the cache where it has them. The
        cache file then holds exactly these texts' vectors."""
        with self._lock:
            if self._rows is None:
                self._rows, self._matrix = self._read()
            known = self._rows
            keys = [self._key(t) for t in texts]
            wanted = list(dict.fromkeys(keys))
            have = [k for k in wanted if k in known]
            if len(have) < len(wanted) or len(have) != len(known):
                self._rows, self._matrix = self._refill(keys, texts, wanted, have)
            rows, matrix = self._rows, self._matrix
            at = np.fromiter((rows[k] for k in keys), dtype=np.intp, count=len(keys))
            return matrix, at

    def _refill(
        self,
        keys: list[bytes],
        texts: Sequence[str],
        wanted: list[bytes],
        have: list[bytes],
    ) -> tuple[dict[bytes, int], Vectors]:
        """A new matrix for `wanted`: the rows the cache has, then the rest
        embedded, written to the file as they come."""
        assert self._rows is not None
        order = have + [k for k in wanted if k not in self._rows]
        matrix = np.empty((len(order), DIMENSION), dtype=np.float32)
        if have:
            matrix[: len(have)] = self._matrix[[self._rows[k] for k in have]]
        by_key = dict(zip(keys, texts, strict=True))
        filled = len(have)
        while filled < len(order):
            # Written as it goes: a start killed half-way (a probe's
            # timeout) keeps what it embedded for the next one.
            chunk = order[filled : filled + WRITE_EVERY]
            fresh = self.embedder.embed([by_key[k] for k in chunk])
            matrix[filled : filled + len(chunk)] = fresh
            filled += len(chunk)
            self.embedded += len(chunk)
            if filled < len(order):
                self._write(order[:filled], matrix[:filled])
        self._write(order, matrix)
        matrix.flags.writeable = False
        return {k: n for n, k in enumerate(order)}, matrix


def _remove_stale(directory: Path, older_than: float = 3600.0) -> None:
    """Drop temporary files a killed write left behind."""
    import time

    for leftover in directory.glob("*.tmp"):
        try:
            if time.time() - leftover.stat().st_mtime > older_than:
                leftover.unlink()
        except OSError:
            pass


def unique(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(texts))


class SemanticIndex:
    """The vectors of every entry's names and phrasings; an entry's
    similarity to a question is its best one's cosine. Questions and
    phrasings alike are embedded as `SpelledOut` writes them.

    Past `SHORTLIST_FROM` entries, a question is first compared with each
    entry's mean vector (its mean cosine, never above its best), and only
    the `SHORTLIST` nearest entries, and those the caller names, get their
    exact best cosine: one matrix product over entries, not over phrasings.

    Products of many rows with one vector go through `np.einsum`, which
    runs on the calling thread: BLAS would spread each across every core,
    and with the model and other requests on them the threads wait for each
    other (at 10,000 entries, 2-3 times the time per question).
    """

    def __init__(self, knowledge: Knowledge, cache: EmbeddingCache) -> None:
        self.spell = SpelledOut(knowledge.synonyms)
        entries = knowledge.entries
        self._entries = entries
        texts: list[str] = []
        counts = []
        for entry in entries:
            own = unique(self.spell(t) for t in (*names(entry), *entry.questions))
            texts.extend(own)
            counts.append(len(own))
        self._texts = texts
        # One row per distinct text, shared with the cache; `_at` is where
        # each text's row is.
        self._vectors, self._at = cache.rows(texts)
        # Each entry's texts are contiguous: where they start, for reduceat.
        self._starts = np.cumsum([0, *counts[:-1]], dtype=np.int64)
        self._counts = np.array(counts, dtype=np.int64)
        self._size = len(entries)
        self._means: Vectors | None = None
        if self._size > SHORTLIST_FROM:
            self._means = self._mean_vectors()
        embed = cache.embedder.embed
        # Questions repeat (retries, "did you mean" clicked, the same FAQ).
        self._embed = lru_cache(maxsize=QUESTION_CACHE)(lambda q: embed([q])[0])

    def _mean_vectors(self) -> Vectors:
        """Each entry's mean vector, a block of entries at a time (no copy of
        every text's vector at once)."""
        means = np.empty((self._size, DIMENSION), dtype=np.float32)
        ends = self._starts + self._counts
        for first in range(0, self._size, MEANS_BLOCK):
            last = min(first + MEANS_BLOCK, self._size)
            a, b = int(self._starts[first]), int(ends[last - 1])
            block = self._vectors[self._at[a:b]]
            sums = np.add.reduceat(block, self._starts[first:last] - a, axis=0)
            means[first:last] = sums / self._counts[first:last, None]
        return means

    def __len__(self) -> int:
        return self._size

    def forget_questions(self) -> None:
        """Drop the cached question vectors (a benchmark timing new questions)."""
        self._embed.cache_clear()

    def row(self, entry: int, phrasing: int) -> int:
        """Where the vector of an entry's phrasing is (what the index holds
        of it: its text spelled out, once per entry)."""
        start, count = int(self._starts[entry]), int(self._counts[entry])
        text = self.spell(self._entries[entry].questions[phrasing])
        return start + self._texts[start : start + count].index(text)

    def best_cosines(self, row: int, exact: Sequence[int] = ()) -> Vectors:
        """`similarities` of the text at `row` (a phrasing asked as a
        question), without embedding it again."""
        return self._similar(self._vectors[self._at[row]], exact)

    def scale(self, lexical_share: Sequence[float]) -> Vectors:
        """100 times each entry's semantic share, as a vector."""
        return (100 * (1 - np.array(lexical_share, dtype=np.float32))).astype(
            np.float32
        )

    def similarities(self, question: str, exact: Sequence[int] = ()) -> Vectors:
        """Each entry's cosine (-1 to 1) with `question`, in entry order: its
        best text's, or past `SHORTLIST_FROM` entries its mean for all but
        the shortlist and the entries in `exact`."""
        if not self._size:
            return np.zeros(0, dtype=np.float32)
        return self._similar(self._embed(self.spell(question)), exact)

    def _similar(self, query: Vectors, exact: Sequence[int]) -> Vectors:
        if self._means is None:
            each = _times(self._vectors, query)[self._at]
            best: Vectors = np.maximum.reduceat(each, self._starts)
            return best
        cosines = _times(self._means, query)
        near = np.argpartition(-cosines, SHORTLIST)[:SHORTLIST]
        chosen = np.unique(np.concatenate([near, np.asarray(exact, dtype=np.int64)]))
        starts, counts = self._starts[chosen], self._counts[chosen]
        rows = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(
            counts.sum()
        )
        within = np.cumsum(counts) - counts
        exact_cosines = _times(self._vectors[self._at[rows]], query)
        cosines[chosen] = np.maximum.reduceat(exact_cosines, within)
        return cosines


def _times(matrix: Vectors, vector: Vectors) -> Vectors:
    """`matrix @ vector` on this thread (see `SemanticIndex`)."""
    product: Vectors = np.einsum("ij,j->i", matrix, vector)
    return product
