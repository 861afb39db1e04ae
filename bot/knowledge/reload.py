"""Hot reload: serve edited knowledge without a restart, never broken knowledge.

The knowledge directory is polled (no extra dependency, works on every file
system and in containers with mounted volumes); SIGHUP reloads at once. If the
new files have errors, the old knowledge keeps being served and the problems
are logged.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import structlog

from bot.knowledge import loading
from bot.knowledge.models import Knowledge

log = structlog.get_logger()
SETTLE_SECONDS = 0.3  # how long files must stay unchanged before a reload


def _items(knowledge: Knowledge) -> dict[str, int]:
    """Entries and tips per file."""
    counts: dict[str, int] = {}
    for file in [e.file for e in knowledge.entries] + [t.file for t in knowledge.tips]:
        counts[file] = counts.get(file, 0) + 1
    return counts


Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(directory: Path) -> Fingerprint:
    """Name, modification time and size of every knowledge file."""
    try:
        paths = loading.knowledge_files(directory)
        return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    except OSError:
        return ()


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
    ) -> None:
        """`current`: the knowledge being served, so the first reload can
        already tell a file that became empty."""
        self.today = today  # for review dates, in the bot's zone
        self.directory = directory
        self.swap = swap
        self.count = count
        self.interval = interval
        self._seen = fingerprint(directory)
        # Entries and tips per file at the last good load.
        self._items: dict[str, int] | None = _items(current) if current else None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def reload(self) -> bool:
        """Load the files now; swap them in only if they are valid."""
        with self._lock:
            self._seen = fingerprint(self.directory)
            loaded, problems = loading.check(self.directory, self.today())
            errors = [str(p) for p in problems if not p.warning]
            emptied = self._emptied(loaded) if not errors else []
            if emptied:
                # An editor or `cp` truncates before it writes: for that moment
                # a file looks valid and empty. Deleting the file says "gone".
                errors = [
                    f"{name}: became empty; delete it to remove it" for name in emptied
                ]
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
            for path, count in self._items.items()
            if count and not now.get(path) and Path(path).name in present
        )

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
                self.reload() if woken else self.check()
            except Exception:  # a reload must never take the bot down
                log.exception("knowledge.reload_crashed")
