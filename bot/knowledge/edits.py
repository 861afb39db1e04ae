"""Minimal text edits to a knowledge file: a phrasing added under an entry's
`questions`, a new entry appended to a file's `entries`.

The files are the curators' source of truth, so nothing is parsed and dumped
again: comments, order, quoting and blank lines stay as they were, and only
the new lines are inserted. The caller checks the result with the loader.
"""

from __future__ import annotations

import json
import re

import yaml

NEW_FILE = "entries:\n"
_PLAIN_START = re.compile(r"""^[^\s\-?:,\[\]{}#&*!|>'"%@`]""")


def scalar(text: str, flow: bool = False) -> str:
    """`text` as a one-line YAML scalar: plain when YAML reads it back as the
    same string, else double-quoted (JSON's quoting is valid YAML), with
    every character that isn't printable escaped: YAML reads U+0085, U+2028
    and U+2029 as line breaks, and refuses other control characters."""
    plain = (
        not flow
        and text.isprintable()
        and text == text.strip()
        and "\n" not in text
        and _PLAIN_START.match(text) is not None
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
    )
    if plain:
        try:
            plain = yaml.safe_load(text) == text
        except yaml.YAMLError:
            plain = False
    if plain:
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(c if c.isprintable() else _escaped(c) for c in quoted)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> bool:
    """A line that holds YAML, not only a comment or blanks."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _item_end(lines: list[str], start: int) -> int:
    """The index after the last content line of the list item at `start`."""
    dash = _indent(lines[start])
    end = start + 1
    last = start + 1
    while end < len(lines):
        line = lines[end]
        if _content(line):
            if _indent(line) <= dash:
                break
            last = end + 1
        end += 1
    return last


def add_phrasing(text: str, item_line: int, question: str) -> str:
    """`text` with `question` added to the `questions` of the entry whose
    list item starts on `item_line` (1-based, as the loader reports it)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = item_line - 1
    if not 0 <= start < len(lines) or not lines[start].lstrip().startswith("- "):
        raise ValueError(f"line {item_line} does not start an entry")
    end = _item_end(lines, start)
    key_indent = _indent(lines[start]) + 2
    key = re.compile(rf"^ {{{key_indent}}}questions:(.*)$")
    for index in range(start, end):
        body = (
            lines[index]
            if index > start
            else " " * key_indent + lines[index][key_indent:]
        )
        found = key.match(body.rstrip("\n"))
        if found is None:
            continue
        if found.group(1).strip().startswith("["):  # a flow list: [a, b]
            lines[index] = _grow_flow(lines[index], question)
            return "".join(lines)
        return "".join(_after_items(lines, index, end, key_indent, question))
    block = [
        " " * key_indent + "questions:\n",
        " " * (key_indent + 2) + f"- {scalar(question)}\n",
    ]
    return "".join(lines[:end] + block + lines[end:])


def _grow_flow(line: str, question: str) -> str:
    """`questions: [a, b]  # note` with `question` after `b`."""
    opening = line.index("[")
    code = line.split(" #", 1)[0]
    if "]" not in code:
        raise ValueError("its questions are a list over several lines; add it by hand")
    close = code.rindex("]")
    inside = line[opening + 1 : close].strip()
    joined = f"{inside}, " if inside else ""
    new = scalar(question, flow=True)
    return line[: opening + 1] + joined + new + line[close:]


def _after_items(
    lines: list[str], key_at: int, end: int, key_indent: int, question: str
) -> list[str]:
    """Insert an item after the last item of the block list at `key_at`."""
    item_indent = key_indent + 2
    last = key_at + 1
    index = key_at + 1
    while index < end:
        line = lines[index]
        if _content(line):
            if _indent(line) < key_indent or (
                _indent(line) == key_indent and not line.lstrip().startswith("- ")
            ):
                break
            if line.lstrip().startswith("- "):
                item_indent = _indent(line)
            last = index + 1
        index += 1
    new = " " * item_indent + f"- {scalar(question)}\n"
    return [*lines[:last], new, *lines[last:]]


def entry_block(entry_id: str, title: str, answer: str, question: str) -> str:
    """A new entry as a list item under `entries:` (two-space indent). The
    answer is a literal block, or a quoted scalar when it holds a character
    a block can't (one YAML reads as a line break, or refuses)."""
    text = answer.strip()
    if all(c.isprintable() or c in "\n\t" for c in text):
        body = "\n".join(
            "      " + line.rstrip() if line.strip() else ""
            for line in text.split("\n")
        )
        written = f"|\n{body}"
    else:
        written = scalar(text, flow=True)
    return (
        f"  - id: {entry_id}\n"
        f"    title: {scalar(title)}\n"
        f"    answer: {written}\n"
        f"    questions:\n"
        f"      - {scalar(question)}\n"
    )


def append_entry(text: str, block: str) -> str:
    """`text` with `block` as the last item of its top-level `entries:`
    list (a new file if `text` is empty)."""
    if not text.strip():
        return NEW_FILE + block
    lines = text.splitlines(keepends=True)
    if not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    starts = [
        i for i, line in enumerate(lines) if re.match(r"^entries:\s*(#.*)?$", line)
    ]
    if not starts:
        raise ValueError("the file has no top-level 'entries:' list")
    end = len(lines)
    for index in range(starts[0] + 1, len(lines)):
        if _content(lines[index]) and _indent(lines[index]) == 0:
            end = index
            break
    last = end
    while last > starts[0] + 1 and not _content(lines[last - 1]):
        last -= 1
    spacer = ["\n"] if last > starts[0] + 1 else []
    return "".join(lines[:last] + spacer + [block] + lines[last:])
