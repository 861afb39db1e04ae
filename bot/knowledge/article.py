"""Read a plain-text article into sections of paragraphs, bullets, tables and
FAQ pairs (a question line, then answer lines starting with `+`).

A `+` line is always an answer, and a question answered by one is always a
question, whatever they contain (a `|` does not make them table rows). A
table's first row is its header when a `---` line follows it (even after a
blank line), or when some column holds values (High/Medium/Low, numbers) in
every other row but not in the first.

A heading is a short line that starts with a capital or digit and has no
terminal punctuation, and is not a bullet, a table row, a question, or part
of a wrapped paragraph (after an unfinished line, or before a lowercase one).
Text before the first heading is the "Introduction"; prose that follows a run
of FAQ pairs starts a new section (in the source article that is the
conclusion, which belongs to no FAQ).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.knowledge.models import Importance

INTRODUCTION = "Introduction"
_BULLET = re.compile(r"^(?:[-*•]|\d{1,2}[.)])\s+(.*)$")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?$")
_RULE = re.compile(r"^[-*_=]{3,}$")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_CONCLUSION = re.compile(r"^(in conclusion|to conclude|in summary|to sum up)\b", re.I)
_SENTENCE_END = tuple(".!?:;,…")
MAX_HEADING_CHARS = 80
MAX_HEADING_WORDS = 12
_LEVELS = frozenset(i.value.lower() for i in Importance)
_NUMBER = re.compile(r"^[-+]?[$€£]?\d[\d,.]*\s*%?$")


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullet:
    text: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Faq:
    question: str
    answer: str


Block = Paragraph | Bullet | Table | Faq


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)


def cells(line: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in line.strip().strip("|").split("|"))


def is_heading(line: str) -> bool:
    words = line.split()
    return (
        0 < len(line) <= MAX_HEADING_CHARS
        and len(words) <= MAX_HEADING_WORDS
        and (line[0].isupper() or line[0].isdigit())
        and not line.endswith(_SENTENCE_END)
        and "|" not in line
        and not line.startswith("+")
        and not _BULLET.match(line)
    )


def _table(lines: list[str]) -> Table:
    has_header = len(lines) > 1 and bool(_TABLE_SEPARATOR.match(lines[1]))
    rows = [cells(x) for x in lines if not _TABLE_SEPARATOR.match(x)]
    rows = [r for r in rows if any(r)]
    if rows and (has_header or _looks_like_header(rows[0], rows[1:])):
        return Table(rows[0], tuple(rows[1:]))
    return Table((), tuple(rows))


def _is_value(cell: str) -> bool:
    """A cell that holds data (a level or a number), not a column's name."""
    return cell.strip().lower() in _LEVELS or bool(_NUMBER.match(cell.strip()))


def _looks_like_header(first: tuple[str, ...], body: list[tuple[str, ...]]) -> bool:
    """Without a `---` line, the first row names the columns when some column
    holds values (levels, numbers) in every other row but not in the first."""
    if not body:
        return False
    for col, name in enumerate(first):
        column = [row[col] if col < len(row) else "" for row in body]
        if name and not _is_value(name) and all(map(_is_value, column)):
            return True
    return False


def _first_words(text: str, limit: int = 60) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".!?")
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0] + "…"


class _Reader:
    """Builds sections line by line; `pending` is a question awaiting its `+`."""

    def __init__(self) -> None:
        self.sections = [Section(INTRODUCTION)]
        self.pending = ""
        self.table: list[str] = []
        self.prose: list[str] = []
        self.in_answer = False

    @property
    def blocks(self) -> list[Block]:
        return self.sections[-1].blocks

    def flush(self, keep_question: bool = False, keep_table: bool = False) -> None:
        if self.table and not keep_table:
            self.blocks.append(_table(self.table))
            self.table = []
        if self.prose:
            self.blocks.append(Paragraph(" ".join(self.prose)))
            self.prose = []
        if self.pending and not keep_question:
            self.blocks.append(Paragraph(self.pending))  # a question nobody answered
            self.pending = ""

    def answer(self, text: str) -> None:
        last = self.blocks[-1] if self.blocks else None
        if self.pending and not text:
            pass  # an empty `+` line: keep waiting for the answer
        elif self.pending:
            self.blocks.append(Faq(self.pending, text))
            self.pending = ""
        elif self.in_answer and isinstance(last, Faq):
            self.blocks[-1] = Faq(last.question, f"{last.answer}\n{text}".strip())
        elif text:
            self.blocks.append(Paragraph(text))  # an answer without a question
        self.in_answer = True

    def prose_line(self, line: str) -> None:
        if self.prose:
            self.prose.append(line)
            return
        self.flush()
        if self.blocks and isinstance(self.blocks[-1], Faq):
            self.sections.append(Section(_section_after_faqs(line)))
        self.prose.append(line)

    def wrapped(self) -> bool:
        """The paragraph being read continues on the next line."""
        return bool(self.prose) and not self.prose[-1].endswith(_SENTENCE_END)

    def table_line(self, line: str) -> None:
        """A table row; a `---` line after a blank one still makes the lone
        row before the blank the table's header."""
        self.flush(keep_table=True)
        last = self.blocks[-1] if self.blocks else None
        if (
            _TABLE_SEPARATOR.match(line)
            and not self.table
            and isinstance(last, Table)
            and not last.header
            and len(last.rows) == 1
        ):
            self.blocks.pop()
            self.table.append(" | ".join(last.rows[0]))
        self.table.append(line)

    def line(self, raw: str, following: str = "") -> None:
        line = raw.strip()
        if line and not line.startswith("+"):
            self.in_answer = False
        if line.startswith("+"):
            self.flush(keep_question=True)
            self.answer(line[1:].strip())
        elif _is_row(line) and not _asks(line, following):
            self.table_line(line)
        elif not line or _RULE.match(line):
            self.flush(keep_question=True)
        elif bullet := _BULLET.match(line):
            self.flush()
            self.blocks.append(Bullet(bullet.group(1).strip()))
        elif line.endswith("?"):
            self.flush()
            self.pending = line
        elif heading := _MARKDOWN_HEADING.match(line):
            self.flush()
            self.sections.append(Section(heading.group(1).strip()))
        elif is_heading(line) and not self.wrapped() and not following[:1].islower():
            self.flush()
            self.sections.append(Section(line))
        else:
            self.prose_line(line)


def _is_row(line: str) -> bool:
    return "|" in line and len(cells(line)) > 1


def _asks(line: str, following: str) -> bool:
    """A question answered on the next line (`+`), whatever it contains."""
    return line.endswith("?") and following.startswith("+")


def _section_after_faqs(line: str) -> str:
    """Title for prose that follows FAQ pairs."""
    match = _CONCLUSION.match(line)
    if match is None:
        return _first_words(line)
    return "Summary" if "sum" in match.group(1).lower() else "Conclusion"


def parse(text: str) -> list[Section]:
    """The article's sections, in order; an empty leading Introduction is dropped."""
    reader = _Reader()
    lines = text.lstrip("\ufeff").splitlines()
    for i, raw in enumerate(lines):
        reader.line(raw, lines[i + 1].strip() if i + 1 < len(lines) else "")
    reader.flush()
    sections = reader.sections
    if not sections[0].blocks:
        sections = sections[1:]
    return sections
