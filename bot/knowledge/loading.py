"""Loading `knowledge/*.yaml` into validated models, every problem at once.

Every problem is reported with its file, entry and line, all at once, so a
curator fixes a broken file in one pass.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.knowledge.models import Entry, Knowledge, Tip
from bot.text.markup import html_tags, live_mentions
from bot.text.normalize import normalize


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge; `warning`s don't stop the bot."""

    file: str
    message: str
    entry: str = ""
    line: int = 0
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f" [{self.entry}]" if self.entry else ""
        kind = "warning" if self.warning else "error"
        return f"{where}{what}: {kind}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge can't be served; `problems` says exactly why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if not p.warning]
        super().__init__(
            f"{len(errors)} problem(s) in the knowledge:\n"
            + "\n".join(str(p) for p in errors)
        )


def _item_lines(node: yaml.Node | None, key: str) -> list[int]:
    """Line numbers (1-based) of the items of the top-level list `key`."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for k, v in node.value:
        if k.value == key and isinstance(v, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in v.value]
    return []


def repeated_keys(root: yaml.Node | None, name: str) -> Iterator[Problem]:
    """A key given twice in one mapping: YAML keeps the last one and drops
    the other without a word, so it is an error here."""
    pending = [root] if root is not None else []
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                pending.append(value)
                line = key.start_mark.line + 1
                if not isinstance(key, yaml.ScalarNode):
                    continue
                if key.value in first:
                    msg = (
                        f"'{key.value}' is given twice (also on line "
                        f"{first[key.value]}); only one would be kept"
                    )
                    yield Problem(name, msg, line=line)
                else:
                    first[key.value] = line


def _misspelt(errors: list[Any]) -> dict[tuple[Any, ...], str]:
    """A misspelt key (`titel:`) is an unknown key and a missing one: for
    each unknown key close to a missing one at the same place, that name."""
    missing = [e["loc"] for e in errors if e["type"] == "missing"]
    found = {}
    for err in errors:
        loc = err["loc"]
        if err["type"] != "extra_forbidden" or not loc:
            continue
        names = [str(m[-1]) for m in missing if m[:-1] == loc[:-1]]
        close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
        if close:
            found[tuple(loc)] = close[0]
    return found


def _validation_messages(error: ValidationError) -> Iterator[str]:
    errors: list[Any] = error.errors()
    misspelt = _misspelt(errors)
    meant = {(*loc[:-1], name) for loc, name in misspelt.items()}
    for err in errors:
        if err["type"] == "missing" and tuple(err["loc"]) in meant:
            continue  # said with the misspelt key
        loc = ".".join(str(part) for part in err["loc"])
        if tuple(err["loc"]) in misspelt:
            name = misspelt[tuple(err["loc"])]
            yield f"{loc}: not a field; did you mean '{name}'?"
            continue
        msg = err["msg"]
        value = err.get("input")
        if err["type"].startswith("date") and isinstance(value, str):
            why = str((err.get("ctx") or {}).get("error") or "not YYYY-MM-DD")
            msg = f"{value} is not a date ({why}); use YYYY-MM-DD"
        yield f"{loc}: {msg}" if loc else msg


@dataclass
class _Parsed:
    entries: list[Entry] = field(default_factory=list)
    tips: list[Tip] = field(default_factory=list)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Ids of entries that are there but did not load (already reported):
    # pointing at one is no second problem.
    broken: set[str] = field(default_factory=set)


# An item's id in a file that does not parse as YAML: `- id: some-id`.
_ID_LINE = re.compile(r"^\s*-?\s*id:\s*[\"']?([^\s\"'#]+)", re.M)


def _ids_in(text: str) -> set[str]:
    return set(_ID_LINE.findall(text))


def _synonyms(raw: object, name: str, into: _Parsed) -> None:
    if not isinstance(raw, dict):
        into.problems.append(Problem(name, "'synonyms' must map a phrase to a list"))
        return
    for canon, forms in raw.items():
        if not isinstance(forms, list) or not all(isinstance(f, str) for f in forms):
            msg = f"synonyms for {canon!r} must be a list of words"
            into.problems.append(Problem(name, msg))
            continue
        into.synonyms[str(canon)] = tuple(forms)


class _Loader(yaml.SafeLoader):
    """Safe YAML for knowledge: no aliases (a few lines of `&a [*a, *a]` can
    take minutes to expand), and dates left as text for the models to check,
    so an impossible one (2027-02-29) is a problem with its entry and line
    rather than a crash inside the parser."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)


_NO_DATES = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag != "tag:yaml.org,2002:timestamp"
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.yaml_implicit_resolvers = _NO_DATES
_Fast: type[Any] = _Loader
if yaml.__with_libyaml__:  # libyaml's parser: ten times faster

    class _CLoader(yaml.CSafeLoader):
        """The same rules in libyaml's C parser; `_screen` refuses aliases
        first (the C composer can't be told to)."""

    _CLoader.yaml_implicit_resolvers = _NO_DATES
    _Fast = _CLoader

MAX_FILE_BYTES = 5_000_000
MAX_DEPTH = 64  # knowledge is five levels deep; thousands is an attack
MAX_NODES = 1_000_000  # YAML values in one file
MAX_ENTRIES = 100_000  # in the whole knowledge


def _refused(why: str, event: Any) -> yaml.YAMLError:
    return yaml.composer.ComposerError(None, None, why, event.start_mark)


def _screen(text: str) -> None:
    """One pass over the file's YAML events, before anything is built:
    refuse aliases, nesting deeper than `MAX_DEPTH` and more than
    `MAX_NODES` values, naming the line."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_Fast):
        if isinstance(event, yaml.AliasEvent):
            raise _refused("aliases (*name) are not allowed here", event)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _refused(f"nested over {MAX_DEPTH} levels deep", event)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_NODES:
                raise _refused(
                    f"over {MAX_NODES:,} values in one file; split it", event
                )


def yaml_problem(exc: yaml.YAMLError) -> tuple[str, int]:
    """What a YAML error says, in one line, and its line (0: unknown)."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else 0
    reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return str(reason), line


def compose(text: str) -> tuple[yaml.Node | None, Any]:
    """YAML the way knowledge is read (screened for aliases, depth and size,
    dates left as text): its node tree (for lines) and its data, parsed
    once; `yaml.YAMLError` naming the line when it can't be."""
    _screen(text)
    loader = _Fast(text)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()


READ_ATTEMPTS = 10  # reads of a directory that changed while it was read
READ_BACKOFF_SECONDS = 0.01  # then 0.02, 0.03...: half a second in all


def _parse_file(raw: bytes | str, name: str) -> _Parsed:
    """`raw`, the bytes of the file `name` (or why it can't be read), as
    entries, tips, synonyms and problems; never raises."""
    parsed = _Parsed()
    if isinstance(raw, str):
        parsed.problems.append(Problem(name, raw))
        return parsed
    try:
        return _parse_text(raw, name, parsed)
    except Exception as exc:  # a file must never crash a load
        msg = f"cannot be read as knowledge: {type(exc).__name__}: {exc}"
        parsed.problems.append(Problem(name, msg[:300]))
        return parsed


def _parse_text(raw: bytes, name: str, parsed: _Parsed) -> _Parsed:
    problems = parsed.problems
    try:
        text = raw.decode("utf-8")
        parsed.broken = _ids_in(text)  # until the entries have loaded
        root, data = compose(text)
    except UnicodeDecodeError:
        problems.append(Problem(name, "file is not UTF-8 text"))
        # Its entries can't load: links to them are not problems of their own.
        parsed.broken = _ids_in(raw.decode("utf-8", "replace"))
        return parsed
    except RecursionError:
        problems.append(Problem(name, "nested too deeply to be knowledge"))
        return parsed
    except yaml.YAMLError as exc:
        reason, line = yaml_problem(exc)
        problems.append(Problem(name, f"YAML syntax error: {reason}", line=line))
        return parsed
    except ValueError as exc:  # e.g. an integer of 5,000 digits
        why = str(exc).split(";")[0][:200]
        problems.append(Problem(name, f"a value that can't be read: {why}"))
        return parsed
    problems.extend(repeated_keys(root, name))
    if data is None:
        parsed.broken = set()
        return parsed
    if not isinstance(data, dict) or not set(data) <= {"entries", "tips", "synonyms"}:
        msg = "expected a mapping with 'entries:', 'tips:' or 'synonyms:'"
        problems.append(Problem(name, msg, line=1))
        return parsed
    parsed.broken = set()
    if "synonyms" in data:
        _synonyms(data["synonyms"], name, parsed)
    for key, model in (("entries", Entry), ("tips", Tip)):
        items = data.get(key) or []
        lines = _item_lines(root, key)
        if not isinstance(items, list):
            problems.append(Problem(name, f"'{key}' must be a list"))
            continue
        for index, raw in enumerate(items):
            line = lines[index] if index < len(lines) else 0
            ident = str(raw.get("id", f"#{index + 1}")) if isinstance(raw, dict) else ""
            if not isinstance(raw, dict):
                problems.append(
                    Problem(name, f"{key} item must be a mapping", line=line)
                )
                continue
            try:
                item = model.model_validate({**raw, "file": name, "line": line})
                if isinstance(item, Entry):
                    parsed.entries.append(item)
                else:
                    parsed.tips.append(item)
            except ValidationError as exc:
                problems.extend(
                    Problem(name, msg, entry=ident, line=line)
                    for msg in _validation_messages(exc)
                )
                if model is Entry:
                    parsed.broken.add(ident)
    return parsed


def _cross_checks(
    entries: list[Entry],
    tips: list[Tip],
    today: dt.date,
    broken: frozenset[str] = frozenset(),
) -> Iterator[Problem]:
    """Problems between entries and tips; a reference to an entry in
    `broken` (there, but its own problem already said) is not one more."""
    seen: dict[str, Entry] = {}
    questions: dict[str, Entry] = {}
    for e in entries:
        if e.id in seen:
            first = seen[e.id]
            msg = f"duplicate id (first defined in {first.file}:{first.line})"
            yield Problem(e.file, msg, e.id, e.line)
        seen.setdefault(e.id, e)
        for q in e.questions:
            key = normalize(q).text
            other = questions.setdefault(key, e)
            if other.id != e.id:
                msg = f"question {q!r} is also under entry '{other.id}'"
                yield Problem(e.file, msg, e.id, e.line)
        if e.review_by and e.review_by < today:
            msg = f"review overdue since {e.review_by} (owner: {e.owner or 'none'})"
            yield Problem(e.file, msg, e.id, e.line, warning=True)
    for e in entries:
        texts = (e.title, e.answer, e.source)
        yield from _markup_problems(e.file, e.id, e.line, texts)
        twice = sorted({ref for ref in e.related if e.related.count(ref) > 1})
        for ref in twice:
            yield Problem(e.file, f"related lists '{ref}' twice", e.id, e.line)
        for ref in e.related:
            if ref not in seen and ref not in broken:
                yield Problem(
                    e.file, f"related id '{ref}' does not exist", e.id, e.line
                )
            elif ref == e.id:
                yield Problem(e.file, "entry lists itself as related", e.id, e.line)
    tip_ids: set[str] = set()
    for t in tips:
        yield from _markup_problems(t.file, t.id, t.line, (t.text,))
        if t.id in tip_ids:
            yield Problem(t.file, "duplicate tip id", t.id, t.line)
        tip_ids.add(t.id)
        if t.related and t.related not in seen and t.related not in broken:
            yield Problem(
                t.file, f"related id '{t.related}' does not exist", t.id, t.line
            )


def _markup_problems(
    file: str, ident: str, line: int, texts: tuple[str, ...]
) -> Iterator[Problem]:
    """Text Slack would turn into a notification (an error), or HTML it would
    show as typed (a warning)."""
    for text in texts:
        for mention in live_mentions(text):
            msg = (
                f"{mention} would notify people when posted; write the words "
                "instead (e.g. 'the channel', 'the leads')"
            )
            yield Problem(file, msg, ident, line)
        for tag in html_tags(text):
            msg = (
                f"HTML {tag} is shown as typed in Slack; use *bold*, _italic_, • lists"
            )
            yield Problem(file, msg, ident, line, warning=True)


def knowledge_files(directory: Path) -> list[Path]:
    """The files that make up the knowledge, in the order they are read; not
    hidden ones (an editor's lock or swap file: `.#skills.yaml`)."""
    found = [*directory.glob("*.yaml"), *directory.glob("*.yml")]
    return sorted(path for path in found if not path.name.startswith("."))


def _targets(directory: Path) -> tuple[Path, list[tuple[Path, Path]]]:
    """The directory resolved, and each knowledge file with the real file it
    is (a ConfigMap's files are links through `..data` to a timestamped
    folder that is never changed, only replaced)."""
    real = resolved(directory)
    return real, [(path, resolved(path)) for path in knowledge_files(real)]


def resolved(path: Path) -> Path:
    """`path` with its links followed; as it is when they loop (reading it
    then fails with "too many levels of symbolic links", a problem with its
    file, not a crash)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # RuntimeError: a loop, before 3.13
        return path


WRITING = ".writing-"  # a file being written: `.faq.yaml.writing-k3j2x9`


def write_whole(
    path: Path, text: str, exclusive: bool = False, marker: str = WRITING
) -> None:
    """Write `path` at once: a reload never reads half a file, and a write
    that fails (a full disk) or stops leaves the old file whole, or none,
    never a cut one (a hidden temporary file beside it, `.NAME{marker}…`,
    which no load reads). A link is written through: its target changes,
    the link stays. A new file gets the mode the umask gives, a replaced one
    keeps its own. `exclusive`: `FileExistsError` if `path` is there
    already."""
    path = path.resolve() if path.is_symlink() else path
    if exclusive and path.exists():
        raise FileExistsError(path)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}{marker}"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else _new_file_mode()
        Path(temporary).chmod(mode)
        if exclusive:
            os.link(temporary, path)  # fails if another made it meanwhile
            Path(temporary).unlink()
            return
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _new_file_mode() -> int:
    """What `open()` would give a new file under this process's umask."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


GONE = "cannot read the file: it is a link to nothing"


def _read(target: Path) -> bytes | str:
    """The file's bytes, or why it can't be read (`GONE`: not there, as
    when the directory changes while it is read)."""
    try:
        # Not blocking: a named pipe opened to read waits for a writer.
        descriptor = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return GONE
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            return "cannot read the file: it is a directory"
        if not stat.S_ISREG(mode):
            return (
                "cannot read the file: it is not a regular file "
                "(a named pipe, a socket or a device)"
            )
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    finally:
        os.close(descriptor)
    if len(raw) > MAX_FILE_BYTES:
        return f"file is over {MAX_FILE_BYTES:,} bytes; split it into several"
    return raw


def read_files(directory: Path) -> list[tuple[str, bytes | str]]:
    """Every knowledge file's name (as under `directory`) and bytes (or why
    it can't be read), all of one version of the directory: the directory
    and every file are resolved once, read through those paths, and read
    again if they resolve differently afterwards (a symlink swapped while it
    was read), so a load is never half old, half new."""
    for attempt in range(READ_ATTEMPTS):
        real, targets = _targets(directory)
        found = [(str(directory / p.name), _read(t)) for p, t in targets]
        # Unchanged: done. A file not there is a link to nothing, or went
        # away just now: a second look says which.
        settled = attempt or all(raw != GONE for _, raw in found)
        if settled and _targets(directory) == (real, targets):
            return found
        time.sleep(READ_BACKOFF_SECONDS * (attempt + 1))
    return [(str(directory), "the files kept changing while they were read")]


def check(
    directory: Path, today: dt.date | None = None, max_entries: int = MAX_ENTRIES
) -> tuple[Knowledge, list[Problem]]:
    """Load every `*.yaml` file in `directory`; return what loaded and every
    problem. More than `max_entries` entries is one problem, nothing served."""
    today = today or dt.date.today()
    if not directory.is_dir():
        what = "is a file, not a folder:" if directory.exists() else "not found:"
        return Knowledge.of([]), [
            Problem(
                str(directory),
                f"knowledge directory {what} set STPM_BOT_KNOWLEDGE_DIR to the "
                "folder of the knowledge files",
            )
        ]
    entries: list[Entry] = []
    tips: list[Tip] = []
    synonyms: dict[str, tuple[str, ...]] = {}
    problems: list[Problem] = []
    broken: set[str] = set()
    for name, raw in read_files(directory):
        parsed = _parse_file(raw, name)
        entries += parsed.entries
        tips += parsed.tips
        problems += parsed.problems
        broken |= parsed.broken
        for canon, forms in parsed.synonyms.items():
            synonyms[canon] = synonyms.get(canon, ()) + forms
    if len(entries) > max_entries:
        msg = (
            f"{len(entries):,} entries, over the {max_entries:,} one bot serves; "
            "split the knowledge between bots"
        )
        return Knowledge.of([]), [*problems, Problem(str(directory), msg)]
    problems += _cross_checks(entries, tips, today, frozenset(broken))
    if not entries and not any(not p.warning for p in problems):
        problems.append(Problem(str(directory), "no knowledge entries found"))
    return Knowledge.of(entries, tips, synonyms), problems


def load(directory: Path, today: dt.date | None = None) -> Knowledge:
    """The knowledge in `directory`, or `KnowledgeError` naming every problem."""
    knowledge, problems = check(directory, today)
    if any(not p.warning for p in problems):
        raise KnowledgeError(problems)
    return knowledge
