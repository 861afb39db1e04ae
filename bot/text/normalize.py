"""Turn what people type in Slack into comparable text and content tokens.

Order matters: Slack markup first (mentions, links, emoji), then Unicode and
case folding, then phrase synonyms (so "AI/ML" survives punctuation), then
tokens, stop words and a light stemmer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from itertools import chain
from typing import NamedTuple, TypeVar

from bot.text.markup import clean_slack

_TOKEN = re.compile(r"[a-z0-9]+")
# The same split as _TOKEN for ASCII text, about twice as fast.
_ASCII_SPACES = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not ("a" <= c <= "z" or c.isdigit())}
)
# Texts normalized together are joined with this: a word of its own that no
# synonym contains, so synonyms never span two texts, and too short to be
# a content word.
_BOUNDARY = "\x00"
# One character for one keeps `str.translate` on its fast path.
_ASCII_BOUNDED = str.maketrans({**_ASCII_SPACES, 0: _BOUNDARY})
_TOKEN_BOUNDED = re.compile(r"[a-z0-9]+|\x00")
T = TypeVar("T")
MAX_WORD = 30  # longer "words" are pasted junk: hashes, base64, keyboard mashing

# Generic chat and workplace shorthand; domain synonyms (STPM, AI/ML, ...) live
# in the knowledge files' `synonyms:` section so curators can extend them.
# Each line: canonical phrase, then what people type for it.
GENERIC_SYNONYMS = """
manager: mgr
management: mgmt
engineer: eng, engs, engineers
developer: dev, devs, developers
organization: org, orgs, organisations, organisation, organizations
communication: comms, communicating, communicate
business: biz
executive: exec, execs, executives
responsibility: responsibilities, duties, duty, day to day, day-to-day, all day, jd,
  job description, on the hook for, expected to do, in charge of
importance: important, matter, matters, critical, crucial, priority, prioritize,
  big deal, how much weight, essential, necessary
require: required, requirements, need, needs, must have, must-have, should know
role: job, position, gig
skill: skills, skillset, skill set, competencies, competency, abilities
challenging: hard, difficult, tough
succeed: success, successful, excel, excelling, thrive, effective, level up,
  get better, improve, grow into
future: outlook, in demand, demand, prospects, job market, going away, growing
"""

STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been
    before being below between both but by can could did do does doing don down
    during each few for from further had has have having he her here hers herself
    him himself his how i if in into is it its itself just me more most my myself no
    nor not now of off on once only or other our ours ourselves out over own same
    she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was were we what when
    where which while who whom why will with would you your yours yourself
    yourselves hey hi hello heya yo hiya folks guys team everyone anyone anybody
    someone somebody pls plz please thanks thank thx ty lol haha quick q question
    questions ask asking wondering curious tell know explain wanna want like really
    actually basically just kinda sorta gonna gotta u ur im ive id youre whats hows
    thats theres isnt dont doesnt cant wont also still maybe ok okay well um uh hmm
    something thing things stuff get got one ones us let lets exactly mean meaning
    means define definition defined meant bot kind sort type types example eg etc
    yeah yes yep much many lot lots bit anything everything wat wut wht whether dear
    sir madam people somewhere right currently even ever per via vs
    """.split()
)

_STEM_KEEP = frozenset({"business", "analytics", "process", "access", "success"})


_CONTENT: dict[str, str] = {}
_CONTENT_LIMIT = 500_000


def _content_word(word: str) -> str:
    """The stemmed form of a word that carries meaning, or "" for one that
    doesn't; remembered, as the same words come back all the time."""
    if not 2 <= len(word) <= MAX_WORD or word in STOP_WORDS or word.isdigit():
        content = ""
    else:
        content = stem(word)
    if len(_CONTENT) < _CONTENT_LIMIT:
        _CONTENT[word] = content
    return content


def _contents(words: list[str], collect: Callable[[Iterator[str]], T]) -> T:
    """`collect` over each word's content form ("" for none): straight from
    the cache when every word is in it, as is nearly always the case."""
    try:
        return collect(map(_CONTENT.__getitem__, words))
    except KeyError:
        return collect(map(_content_word, words))


def _kept(forms: Iterator[str]) -> tuple[str, ...]:
    return tuple(filter(None, forms))


def content_words(words: list[str]) -> tuple[str, ...]:
    """The stemmed content words of `words`, in order."""
    return _contents(words, _kept)


def stem(token: str) -> str:
    """A small suffix stripper: plurals and -ing/-ed, so 'managing' ~ 'manage'."""
    if len(token) <= 3 or token in _STEM_KEEP or token.isdigit():
        return token
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            token = token[: -len(suffix)] + repl
            break
    else:
        if token.endswith("s") and not token.endswith(("ss", "us", "is")):
            token = token[:-1]
    if token.endswith("e") and len(token) > 4:
        token = token[:-1]
    return token


def parse_synonyms(table: str) -> dict[str, tuple[str, ...]]:
    """`canonical: variant, variant` lines (indented lines continue) to a dict."""
    merged: list[str] = []
    for line in table.splitlines():
        if line.startswith((" ", "\t")) and merged:
            merged[-1] += " " + line.strip()
        elif line.strip():
            merged.append(line.strip())
    out: dict[str, tuple[str, ...]] = {}
    for line in merged:
        canon, _, variants = line.partition(":")
        out[canon.strip()] = tuple(v.strip() for v in variants.split(",") if v.strip())
    return out


class Normalized(NamedTuple):
    """`text`: cleaned, case-folded words; `tokens`: stemmed content words."""

    text: str
    tokens: tuple[str, ...]


def fold(text: str) -> str:
    """Unicode-compatible, accent-free, case-folded text without apostrophes."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
        text = text.replace("\u2019", "'")
    return text.casefold().replace("'", "")


class Normalizer:
    """Normalization with a set of synonyms: generic ones plus the knowledge's.

    Synonyms are matched as whole word sequences after tokenizing, longest
    first, so "AI/ML", "ai ml" and "AI & ML" are one and the same variant.
    """

    def __init__(self, synonyms: dict[str, tuple[str, ...]] | None = None) -> None:
        # Kept as given, so a worker process can build the same normalizer.
        self.synonyms = dict(synonyms or {})
        self._map: dict[tuple[str, ...], tuple[str, ...]] = {}
        for table in (parse_synonyms(GENERIC_SYNONYMS), synonyms or {}):
            for canon, forms in table.items():
                target = tuple(_TOKEN.findall(fold(canon)))
                for form in forms:
                    key = tuple(_TOKEN.findall(fold(form)))
                    if key:
                        self._map[key] = target
        self._longest = max((len(k) for k in self._map), default=0)
        self._starts = frozenset(k[0] for k in self._map)

    def _expand(self, words: list[str]) -> list[str]:
        if self._starts.isdisjoint(words):
            return words
        out: list[str] = []
        i = 0
        starts = self._starts
        while i < len(words):
            if words[i] not in starts:
                out.append(words[i])
                i += 1
                continue
            for size in range(min(self._longest, len(words) - i), 0, -1):
                target = self._map.get(tuple(words[i : i + size]))
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def words(self, text: str) -> list[str]:
        """The folded words of `text`, synonyms replaced by their canonical form."""
        folded = fold(clean_slack(text))
        if folded.isascii():
            return self._expand(folded.translate(_ASCII_SPACES).split())
        return self._expand(_TOKEN.findall(folded))

    def tokens(self, text: str) -> tuple[str, ...]:
        """The stemmed content words of `text`, in order."""
        return content_words(self.words(text))

    def vocabulary(self, texts: Iterable[str]) -> set[str]:
        """The distinct content words of `texts`, each normalized on its own
        but in one pass: at scale, a text's fixed costs outweigh its words."""
        texts = list(texts)
        folded = fold(f" {_BOUNDARY} ".join(map(clean_slack, texts)))
        if folded.count(_BOUNDARY) != len(texts) - 1:  # a text has one itself
            return set(chain.from_iterable(map(self.tokens, texts)))
        if folded.isascii():
            words = self._expand(folded.translate(_ASCII_BOUNDED).split())
        else:
            words = self._expand(_TOKEN_BOUNDED.findall(folded))
        found = _contents(words, set)
        found.discard("")
        return found

    def normalize(self, text: str) -> Normalized:
        words = self.words(text)
        return Normalized(" ".join(words), content_words(words))

    def weighted(self, text: str, weight: float) -> dict[str, float]:
        """Each distinct content word of `text`, mapped to `weight`: the
        vocabulary of a long text without building its `Normalized` form."""
        found = _contents(self.words(text), lambda forms: dict.fromkeys(forms, weight))
        found.pop("", None)
        return found


_GENERIC = Normalizer()


@lru_cache(maxsize=8192)
def normalize(text: str) -> Normalized:
    """The comparable form of a text with the generic synonyms only."""
    return _GENERIC.normalize(text)


class SpelledOut:
    """Text for a sentence model: Slack markup gone, acronyms the knowledge
    defines spelled out ("sr tpm" -> "sr technical program manager"), every
    other word as typed.

    A general-purpose model has rarely seen a team's acronyms and reads them
    as noise; other synonyms ("aws" for cloud computing) it already knows,
    and replacing them would lose what was asked. An acronym is a form that
    is the initials of its canonical phrase, or those plus a plural "s".
    """

    def __init__(self, synonyms: dict[str, tuple[str, ...]] | None = None) -> None:
        table: dict[str, str] = {}
        for source in (parse_synonyms(GENERIC_SYNONYMS), synonyms or {}):
            for canon, forms in source.items():
                words = _TOKEN.findall(fold(canon))
                initials = "".join(w[0] for w in words)
                if len(initials) < 2:
                    continue
                for form in forms:
                    letters = "".join(_TOKEN.findall(fold(form)))
                    if letters == initials:
                        table[fold(form)] = " ".join(words)
                    elif letters == initials + "s" and not words[-1].endswith("s"):
                        table[fold(form)] = " ".join(words) + "s"
        self._table = table
        alternatives = "|".join(sorted(map(re.escape, table), key=len, reverse=True))
        self._pattern = (
            re.compile(rf"(?<![\w/&.])(?:{alternatives})(?![\w/&])", re.IGNORECASE)
            if table
            else None
        )

    def __call__(self, text: str) -> str:
        text = _SPACES.sub(" ", clean_slack(text)).strip()
        if self._pattern is None:
            return text
        table = self._table
        # .get: IGNORECASE matches a dotless i (U+0131) for "i"; fold does not.
        return self._pattern.sub(lambda m: table.get(fold(m[0]), m[0]), text)


_SPACES = re.compile(r"\s+")
