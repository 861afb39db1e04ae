"""Turn what people type in Slack into comparable text and content tokens.

Order matters: Slack markup first (mentions, links, emoji), then Unicode and
case folding, then phrase synonyms (so "AI/ML" survives punctuation), then
tokens, stop words and a light stemmer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_SLACK_LINK = re.compile(r"<(?:https?://|mailto:)[^>|]*(?:\|([^>]*))?>")
_SLACK_REF = re.compile(r"<[@#!][^>]*>")
_EMOJI = re.compile(r":[a-z0-9_+'-]+:", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://\S+")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ENTITY = re.compile("|".join(_ENTITIES))
_TOKEN = re.compile(r"[a-z0-9]+")

# Canonical phrase -> what people type for it. Matched as whole words on
# case-folded text before punctuation is dropped.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "senior technical program manager": (
        "stpm",
        "stpms",
        "sr tpm",
        "sr tpms",
        "snr tpm",
        "senior tpm",
        "senior tpms",
        "sr. tpm",
        "senior technical programme manager",
        "sr technical program manager",
        "senior tech program manager",
        "senior tech pm",
        "sr tech pm",
    ),
    "technical program manager": (
        "tpm",
        "tpms",
        "tech program manager",
        "tech pm",
        "technical programme manager",
        "technical program mgr",
        "tech program mgr",
        "technical pm",
    ),
    "program manager": ("program mgr", "programme manager", "prog manager"),
    "program management": ("programme management", "program mgmt", "pgm"),
    "artificial intelligence machine learning": (
        "ai/ml",
        "ai ml",
        "ai & ml",
        "ai and ml",
        "aiml",
        "ml/ai",
        "ai/machine learning",
    ),
    "artificial intelligence": ("ai", "a.i.", "genai", "gen ai", "llm", "llms"),
    "machine learning": ("ml", "deep learning"),
    "cybersecurity": (
        "cyber security",
        "cyber-security",
        "security",
        "infosec",
        "cyber",
        "it security",
        "appsec",
        "secops",
        "information security",
    ),
    "cloud computing": ("cloud", "aws", "azure", "gcp", "saas", "iaas", "paas"),
    "networking infrastructure": ("infra", "infrastructure", "networks", "network"),
    "data analytics": ("analytics", "data analysis", "data science", "bi"),
    "communication": ("comms", "communicating", "communicate", "explaining"),
    "business acumen": ("business sense", "commercial awareness", "biz acumen"),
    "business": ("biz",),
    "stakeholder": ("stakeholders", "stakeholdres", "stake holders", "stake holder"),
    "engineer": ("eng", "engs", "engineers"),
    "developer": ("dev", "devs", "developers"),
    "management": ("mgmt",),
    "manager": ("mgr",),
    "stay current": (
        "keep up",
        "keeping up",
        "up to date",
        "up-to-date",
        "stay on top",
        "staying current",
        "keep current",
        "stay relevant",
        "keep learning",
        "stay informed",
        "latest tech",
    ),
    "importance": (
        "important",
        "matter",
        "matters",
        "critical",
        "crucial",
        "priority",
        "prioritize",
        "how much weight",
    ),
    "responsibility": (
        "responsibilities",
        "duties",
        "duty",
        "day to day",
        "day-to-day",
        "all day",
        "job description",
        "what do they do",
    ),
    "require": ("required", "requirements", "need", "needs", "must have", "must-have"),
    "role": ("job", "position", "gig", "title"),
    "skill": ("skills", "skillset", "skill set", "competencies", "competency"),
    "best practices": ("best practice", "good habits", "dos and donts", "tips"),
    "innovation": ("innovate", "innovative", "experimentation", "experiment"),
    "metrics": ("kpis", "kpi", "measure", "measuring"),
    "future": ("outlook", "demand", "prospects", "in demand", "job market"),
}

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "don",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "hey",
        "hi",
        "hello",
        "heya",
        "yo",
        "hiya",
        "folks",
        "guys",
        "team",
        "all",
        "everyone",
        "anyone",
        "anybody",
        "someone",
        "pls",
        "plz",
        "please",
        "thanks",
        "thank",
        "thx",
        "ty",
        "lol",
        "haha",
        "quick",
        "q",
        "question",
        "questions",
        "ask",
        "asking",
        "wondering",
        "curious",
        "tell",
        "know",
        "explain",
        "wanna",
        "want",
        "like",
        "really",
        "actually",
        "basically",
        "just",
        "kinda",
        "sorta",
        "gonna",
        "u",
        "ur",
        "im",
        "ive",
        "id",
        "youre",
        "whats",
        "hows",
        "thats",
        "theres",
        "isnt",
        "dont",
        "doesnt",
        "cant",
        "wont",
        "also",
        "still",
        "maybe",
        "any",
        "ok",
        "okay",
        "so",
        "well",
        "um",
        "uh",
        "hmm",
        "something",
        "thing",
        "things",
        "stuff",
        "get",
        "got",
        "one",
        "ones",
        "us",
        "let",
        "lets",
    ]
)

_STEM_KEEP = frozenset({"business", "analytics", "process", "access", "success"})


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


def _synonym_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    variants = {v: canon for canon, vs in SYNONYMS.items() for v in vs}
    ordered = sorted(variants, key=len, reverse=True)
    alternation = "|".join(re.escape(v) for v in ordered)
    return re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])"), variants


_SYNONYM_RE, _SYNONYM_MAP = _synonym_pattern()


@dataclass(frozen=True)
class Normalized:
    """`text`: cleaned, case-folded words; `tokens`: stemmed content words."""

    text: str
    tokens: tuple[str, ...]


def clean_slack(text: str) -> str:
    """Drop Slack markup that carries no meaning for matching."""
    text = _SLACK_LINK.sub(lambda m: f" {m.group(1) or ''} ", text)
    text = _SLACK_REF.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = _BARE_URL.sub(" ", text)
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], text)


def fold(text: str) -> str:
    """Unicode-compatible, accent-free, case-folded text."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold().replace("\u2019", "'").replace("'", "")


@lru_cache(maxsize=4096)
def normalize(text: str) -> Normalized:
    """The comparable form of a question, a phrasing or an answer."""
    folded = fold(clean_slack(text))
    expanded = _SYNONYM_RE.sub(lambda m: f" {_SYNONYM_MAP[m.group(0)]} ", folded)
    words = _TOKEN.findall(expanded)
    content = tuple(stem(w) for w in words if w not in STOP_WORDS)
    return Normalized(" ".join(words), content)
