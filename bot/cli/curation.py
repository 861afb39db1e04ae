"""`stpm-bot knowledge pending|apply`: what curators taught in Slack, and
writing it into the knowledge files.

`apply` edits each file minimally (`bot.knowledge.edits`), loads the whole
knowledge again with the real loader, and puts the file back as it was if it
no longer loads; a running bot's hot reload then serves the change.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.knowledge import edits, loading
from bot.knowledge.models import Knowledge
from bot.settings import Settings
from bot.store.database import Store
from bot.store.records import Change
from bot.store.teaching import PHRASING
from bot.text.markup import printable

FAQ_FILE = "faq.yaml"  # where new entries go, in the knowledge directory


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
    except SQLAlchemyError as error:
        url = make_url(settings.resolved_database_url)
        print(
            f"stpm-bot: cannot open the store "
            f"{url.render_as_string(hide_password=True)}: {type(error).__name__}",
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
        changes = store.changes()
    finally:
        store.close()
    if not changes:
        print("Nothing pending.")
        return 0
    for change in changes:
        when = f"{change.taught_at:%Y-%m-%d %H:%M} UTC"
        print(f"#{change.id}  {when}  by {change.taught_by}: {_describe(change)}")
    print(f"{len(changes)} pending; `stpm-bot knowledge apply` writes them.")
    return 0


def _write(path: Path, text: str) -> None:
    """Replace `path` at once, so a reload never reads half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        if path.exists():
            Path(temporary).chmod(path.stat().st_mode & 0o777)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
    errors = [p for p in problems if not p.warning]
    if not errors:
        return loaded, ""
    if before is None:
        path.unlink()
    else:
        _write(path, before)
    return None, f"{errors[0]} (the file is back as it was)"


def apply(settings: Settings, args: argparse.Namespace) -> int:
    """Write every pending change into the knowledge files, each checked
    with the loader; 1 if any could not be applied. One `apply` at a time
    per knowledge folder: a second waits for the first (a lock on the
    folder), so neither writes over the other's edit."""
    directory = settings.knowledge_dir
    try:
        folder = os.open(directory, os.O_RDONLY)
    except OSError as error:
        print(f"stpm-bot: cannot open {directory}: {error.strerror}", file=sys.stderr)
        return 1
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        return _apply_all(settings, directory)
    finally:
        os.close(folder)  # and the lock with it


def _apply_all(settings: Settings, directory: Path) -> int:
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
    failed = applied = 0
    try:
        changes = store.changes()
        if not changes:
            print("Nothing pending.")
            return 0
        for change in changes:
            if not store.mark_applied(change.id):
                continue  # another `apply` took it meanwhile
            loaded, why = _apply_one(change, knowledge, directory)
            if loaded is None:
                store.mark_pending(change.id)
                failed += 1
                print(f"stpm-bot: #{change.id} not applied: {why}", file=sys.stderr)
                continue
            knowledge = loaded
            applied += 1
            print(f"Applied #{change.id}: {_describe(change)}")
    finally:
        store.close()
    print(f"{applied} applied, {failed} not; a running bot reloads the files itself.")
    return 1 if failed else 0
