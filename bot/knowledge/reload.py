"""Hot reload: serve edited knowledge without a restart, never broken knowledge.

The knowledge directory is polled (no extra dependency, works on every file
system and in containers with mounted volumes); SIGHUP reloads at once. If the
new files have errors, the old knowledge keeps being served and the problems
are logged.
"""

from __future__ import annotations

import datetime as dt
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import structlog

from bot.knowledge import loading
from bot.knowledge.models import Knowledge

log = structlog.get_logger()
SETTLE_SECONDS = 0.3  # how long files must stay unchanged before a reload
# A file that had at least this many entries and tips and lost more than
# half of them (not moved to another file) is taken for one being written.
SHRINK_FLOOR = 4

Items = dict[str, frozenset[str]]
Check = Callable[[Path, dt.date], tuple[Knowledge, list[loading.Problem]]]


def _items(knowledge: Knowledge) -> Items:
    """The ids of the entries and tips in each file."""
    ids: dict[str, set[str]] = {}
    pairs = [(e.file, e.id) for e in knowledge.entries]
    for file, ident in pairs + [(t.file, t.id) for t in knowledge.tips]:
        ids.setdefault(file, set()).add(ident)
    return {file: frozenset(found) for file, found in ids.items()}


Fingerprint = tuple[tuple[str, str, int, int], ...]


def fingerprint(directory: Path) -> Fingerprint:
    """Name, real path, modification time and size of every knowledge file
    (the real path changes when a ConfigMap swaps its `..data` link)."""
    try:
        paths = loading.knowledge_files(directory)
    except OSError:
        return ()
    return tuple(_seen(p) for p in paths)


def _seen(path: Path) -> tuple[str, str, int, int]:
    """A file's part of the fingerprint; one that can't be looked at (gone,
    a link that loops) counts as unchanged while it stays so."""
    try:
        status = path.stat()
    except OSError:
        return (path.name, "", -1, -1)
    return (path.name, str(loading.resolved(path)), status.st_mtime_ns, status.st_size)


class Reloader:
    """Loads `directory` again when it changes; hands valid knowledge to
    `swap` and says how each reload went to `count` (`ok` or `failed`)."""

    def __init__(
        self,
        directory: Path,
        swap: Callable[[Knowledge], None],
        count: Callable[[str], None] = lambda result: None,
        interval: float = 2.0,
        today: Callable[[], dt.date] = dt.date.today,
        current: Knowledge | None = None,
        check: Check = loading.check,
    ) -> None:
        """`current`: the knowledge being served, so the first reload can
        already tell a file that became empty. `check` loads the directory
        (the serving bot's: in a child process, `isolated.check`)."""
        self._check = check
        self.today = today  # for review dates, in the bot's zone
        self.directory = directory
        self.swap = swap
        self.count = count
        self.interval = interval
        self._seen = fingerprint(directory)
        # The ids of the entries and tips in each file at the last good load.
        self._items: Items | None = _items(current) if current else None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def reload(self, forced: bool = False) -> bool:
        """Load the files now; swap them in only if they are valid. `forced`
        (SIGHUP: someone means it) takes a file that lost most of its
        entries as it is; a file that became empty never is."""
        with self._lock:
            self._seen = fingerprint(self.directory)
            loaded, problems = self._check(self.directory, self.today())
            errors = [str(p) for p in problems if not p.warning]
            emptied = self._emptied(loaded) if not errors else []
            if emptied:
                # An editor or `cp` truncates before it writes: for that moment
                # a file looks valid and empty. Deleting the file says "gone".
                errors = [
                    f"{name}: became empty; delete it to remove it" for name in emptied
                ]
            if not errors and not forced:
                errors = self._shrunk(loaded)
            if errors:
                log.error("knowledge.reload_failed", problems=errors, kept="previous")
                self.count("failed")
                return False
            self._items = _items(loaded)
            self.swap(loaded)
            self.count("ok")
            log.info(
                "knowledge.reloaded", entries=len(loaded.entries), tips=len(loaded.tips)
            )
            return True

    def _emptied(self, loaded: Knowledge) -> list[str]:
        """Files that had entries or tips at the last good load, are still
        there, and now have none."""
        if self._items is None:
            return []
        now = _items(loaded)
        present = {p.name: str(p) for p in loading.knowledge_files(self.directory)}
        return sorted(
            path
            for path, ids in self._items.items()
            if ids and not now.get(path) and Path(path).name in present
        )

    def _shrunk(self, loaded: Knowledge) -> list[str]:
        """Files that lost more than half their entries and tips since the last
        good load, without them turning up in another file: what a file cut
        off while it is written (or copied) looks like."""
        if self._items is None:
            return []
        now = _items(loaded)
        everywhere = frozenset().union(*now.values()) if now else frozenset()
        problems = []
        for path, before in sorted(self._items.items()):
            left = now.get(path, frozenset())
            lost = before - left - everywhere
            if not left or len(before) < SHRINK_FLOOR or len(lost) * 2 <= len(before):
                continue  # deleted or emptied (said elsewhere), small, or most kept
            problems.append(
                f"{path}: had {len(before)} entries and tips, now {len(left)}; "
                "refused as a file still being written. If that is meant, "
                "reload with SIGHUP (kill -HUP) or restart"
            )
        return problems

    def check(self) -> bool:
        """Reload if any file changed since the last look and has stopped
        changing (a file being written is looked at again next time)."""
        seen = fingerprint(self.directory)
        if seen == self._seen:
            return False
        self._stop.wait(SETTLE_SECONDS)
        if fingerprint(self.directory) != seen:
            return False
        return self.reload()

    def start(self) -> None:
        """Poll in a daemon thread; on the main thread, also reload on SIGHUP."""
        if threading.current_thread() is threading.main_thread() and hasattr(
            signal, "SIGHUP"
        ):
            signal.signal(signal.SIGHUP, lambda *_: self._wake.set())
        self._thread = threading.Thread(target=self._loop, name="reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.reload(forced=True) if woken else self.check()
            except Exception as exc:  # a reload must never take the bot down
                # One line on a terminal (the chat), the traceback in a log file.
                log.error(
                    "knowledge.reload_crashed",
                    error=f"{type(exc).__name__}: {exc}"[:300],
                    kept="previous",
                    exc_info=not sys.stderr.isatty(),
                )
