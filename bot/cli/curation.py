"""`stpm-bot knowledge pending|apply`: what curators taught in Slack, and
writing it into the knowledge files.

`apply` edits each file minimally (`bot.knowledge.edits`), loads the whole
knowledge again with the real loader, and puts the file back as it was if it
no longer loads; a running bot's hot reload then serves the change.

A change is claimed in the store, written (a whole new file renamed over the
old one), and only then marked applied. A run that stops in between leaves
the change claimed; the next run finds it in the files and marks it applied
without writing it again, or writes it if it isn't there. A temporary file a
run left half-written is removed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import hashlib
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.knowledge import edits, loading
from bot.knowledge.models import Knowledge
from bot.settings import Settings
from bot.store.database import Store
from bot.store.engine import shown, why
from bot.store.records import Change
from bot.store.teaching import CLAIMED, PHRASING
from bot.text.markup import printable
from bot.text.normalize import normalize

FAQ_FILE = "faq.yaml"  # where new entries go, in the knowledge directory
TEMPORARY = ".apply-"  # a file being written: `.faq.yaml.apply-k3j2x9`
# A claim another machine's `apply` holds longer than this is taken over: one
# change is written and loaded in seconds, so its run has stopped.
CLAIM_STALE = dt.timedelta(minutes=10)


def _describe(change: Change) -> str:
    asked = printable(change.question)
    if change.kind == PHRASING:
        return f"add the phrasing “{asked}” to {change.entry_id}"
    title = printable(change.title or "")
    return f"new entry {change.entry_id} “{title}” for “{asked}”"


def _store(settings: Settings) -> Store | None:
    store = Store.from_settings(settings)
    try:
        store.create_schema()
    except (SQLAlchemyError, OSError) as error:
        print(
            f"stpm-bot: cannot open the store "
            f"{shown(settings.resolved_database_url)} ({why(error)}); "
            f"check {settings.database_setting}",
            file=sys.stderr,
        )
        return None
    return store


def pending(settings: Settings, args: argparse.Namespace) -> int:
    """List the changes waiting for `apply`, oldest first."""
    store = _store(settings)
    if store is None:
        return 1
    try:
        changes = store.unapplied()
    finally:
        store.close()
    if not changes:
        print("Nothing pending.")
        return 0
    for change in changes:
        when = f"{change.taught_at:%Y-%m-%d %H:%M} UTC"
        claimed = ""
        if change.status.startswith(CLAIMED) and change.applied_at is not None:
            claimed = f" (being applied since {change.applied_at:%Y-%m-%d %H:%M} UTC)"
        print(
            f"#{change.id}  {when}  by {change.taught_by}: {_describe(change)}{claimed}"
        )
    print(f"{len(changes)} pending; `stpm-bot knowledge apply` writes them.")
    return 0


def claimer(directory: Path) -> str:
    """Who claims changes in the store: this machine and knowledge folder,
    in 7 characters. Under the folder's lock, an earlier claim of the same
    claimer is a run that stopped."""
    where = f"{socket.gethostname()}:{directory.resolve()}"
    return hashlib.sha256(where.encode()).hexdigest()[:7]


def _write(path: Path, text: str) -> None:
    """Replace `path` at once (`loading.write_whole`): a run that stops
    leaves the old file whole and a temporary one, which the next run
    removes."""
    loading.write_whole(path, text, marker=TEMPORARY)


def _remove_leftovers(directory: Path) -> None:
    """Temporary files a run that stopped while writing left behind: in the
    folder, and beside the file a linked knowledge file is."""
    found = set(directory.rglob(f".*{TEMPORARY}*"))
    for path in loading.knowledge_files(directory):
        if path.is_symlink():
            target = loading.resolved(path)
            found.update(target.parent.glob(f".{target.name}{TEMPORARY}*"))
    for left in sorted(found):
        if left.is_file():
            left.unlink()
            print(f"Removed {left.name}, left half-written by a run that stopped.")


def in_files(change: Change, knowledge: Knowledge) -> bool:
    """Whether the knowledge has the change already: its entry holds the
    question (written by a run that stopped before telling the store, or
    by hand)."""
    entry = knowledge.by_id.get(change.entry_id)
    if entry is None:
        return False
    said = normalize(change.question).text
    return any(normalize(q).text == said for q in entry.questions)


def _edit(change: Change, knowledge: Knowledge, directory: Path) -> tuple[Path, str]:
    """The file the change goes into and its new text."""
    if change.kind == PHRASING:
        entry = knowledge.by_id.get(change.entry_id)
        if entry is None:
            raise ValueError(f"there is no entry '{change.entry_id}' any more")
        path = Path(entry.file)
        text = path.read_text(encoding="utf-8")
        return path, edits.add_phrasing(text, entry.line, change.question)
    path = directory / FAQ_FILE
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = edits.entry_block(
        change.entry_id, change.title or "", change.answer or "", change.question
    )
    return path, edits.append_entry(text, block)


def _apply_one(
    change: Change, knowledge: Knowledge, directory: Path
) -> tuple[Knowledge | None, str]:
    """Write `change`; the knowledge it gives, or None and why not."""
    try:
        path, after = _edit(change, knowledge, directory)
    except (ValueError, OSError) as error:
        return None, str(error)
    try:
        before = path.read_text(encoding="utf-8") if path.exists() else None
        _write(path, after)
    except OSError as error:
        return None, f"cannot write {path}: {error.strerror or error}"
    loaded, problems = loading.check(directory)
    errors = [str(p) for p in problems if not p.warning]
    if not errors and not _reads_back(change, loaded):
        asked = printable(change.question)
        errors = [f"{path.name} did not read back with “{asked}” as written"]
    if not errors:
        return loaded, ""
    if before is None:
        path.unlink()
    else:
        _write(path, before)
    return None, f"{errors[0]} (the file is back as it was)"


def _reads_back(change: Change, knowledge: Knowledge) -> bool:
    """The change's entry has the question exactly as it was taught (and
    for a new entry its title), nothing merged into a neighbour."""
    entry = knowledge.by_id.get(change.entry_id)
    if entry is None or change.question not in entry.questions:
        return False
    return change.kind == PHRASING or entry.title == (change.title or "")


def _nothing(change: Change) -> None:
    pass


def apply(
    settings: Settings,
    args: argparse.Namespace,
    written: Callable[[Change], None] = _nothing,
) -> int:
    """Write every pending change into the knowledge files, each checked
    with the loader; 1 if any could not be applied. One `apply` at a time
    per knowledge folder: a second waits for the first (a lock on the
    folder), so neither writes over the other's edit. `written` is called
    when a change is in its file and not yet marked applied."""
    directory = settings.knowledge_dir
    try:
        folder = os.open(directory, os.O_RDONLY)
    except OSError as error:
        print(f"stpm-bot: cannot open {directory}: {error.strerror}", file=sys.stderr)
        return 1
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        return _apply_all(settings, directory, written)
    finally:
        os.close(folder)  # and the lock with it


def _apply_all(
    settings: Settings, directory: Path, written: Callable[[Change], None]
) -> int:
    _remove_leftovers(directory)
    knowledge, problems = loading.check(directory)
    errors = [p for p in problems if not p.warning]
    if errors:
        print(
            f"stpm-bot: the knowledge in {directory} already has {len(errors)} "
            f"problem(s) (first: {errors[0]}); fix them first (`stpm-bot validate`).",
            file=sys.stderr,
        )
        return 1
    store = _store(settings)
    if store is None:
        return 1
    failed = applied = busy = 0
    who = claimer(directory)
    try:
        changes = store.unapplied()
        if not changes:
            print("Nothing pending.")
            return 0
        for change in changes:
            if in_files(change, knowledge):
                store.mark_applied(change.id)
                applied += 1
                print(
                    f"Applied #{change.id} (in the files already): {_describe(change)}"
                )
                continue
            if not store.claim_change(change.id, who, CLAIM_STALE):
                busy += 1
                print(_busy(change), file=sys.stderr)
                continue
            loaded, why = _apply_one(change, knowledge, directory)
            if loaded is None:
                store.mark_pending(change.id)
                failed += 1
                print(f"stpm-bot: #{change.id} not applied: {why}", file=sys.stderr)
                continue
            written(change)
            store.mark_applied(change.id)
            knowledge = loaded
            applied += 1
            print(f"Applied #{change.id}: {_describe(change)}")
    finally:
        store.close()
    elsewhere = f", {busy} being applied by another run" if busy else ""
    print(
        f"{applied} applied, {failed} not{elsewhere}; "
        "a running bot reloads the files itself."
    )
    return 1 if failed else 0


def _busy(change: Change) -> str:
    since = change.applied_at or dt.datetime.now(dt.UTC)
    return (
        f"stpm-bot: #{change.id} skipped: another `apply` has been writing it "
        f"since {since:%H:%M} UTC; if that run stopped, one after "
        f"{since + CLAIM_STALE:%H:%M} UTC takes it over."
    )
