"""Slack's message markup in and out: questions from raw text, inert echoes.

Slack sends `&`, `<` and `>` escaped and wraps mentions and links in `<...>`
(`<@U123>`, `<!channel>`, `<!subteam^S1|@team>`, `<https://x|label>`).
"""

from __future__ import annotations

import itertools
import re
from typing import Literal

_MARKUP = re.compile(r"<([^<>]*)>")
_SLACK_LINK = re.compile(r"<(?:https?://|mailto:)[^>|]*(?:\|([^>]*))?>")
_SLACK_REF = re.compile(r"<[@#!][^>]*>")
_EMOJI = re.compile(r":[a-z0-9_+'-]+:", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://\S+")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ENTITY = re.compile("|".join(_ENTITIES))
_LINK = re.compile(r"<((?:https?://|mailto:)[^>|]+)(?:\|([^>]+))?>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_SPACES = re.compile(r"\s+")
GREETINGS = frozenset(
    {"", "help", "hi", "hello", "hey", "hiya", "yo", "start", "?", "hi there"}
    | {"hey there", "hello there", "morning", "good morning", "good afternoon"}
    | {"good evening", "gm"}
)


def readable(text: str) -> str:
    """`text` with what is no text replaced by U+FFFD: a lone surrogate
    (bytes that weren't UTF-8, as a terminal passes them on; half an emoji),
    which no file, database or terminal takes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    return text


def unescape(text: str) -> str:
    """Slack's three entities back to characters, in one pass."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], text)


def inert(text: str) -> str:
    """`text` escaped so that Slack shows it literally: no mention, no link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _readable(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith(("@", "!")):
        return ""  # people, groups and broadcasts say nothing about the topic
    if target.startswith("#"):
        return label
    return label or target


def question_from(text: str, bot_user_id: str | None = None) -> str:
    """What the user asked, as plain words: the bot's mention and markup removed."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    return _SPACES.sub(" ", unescape(_MARKUP.sub(_readable, text))).strip()


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def echo(question: str, limit: int = 200) -> str:
    """A question, shortened, to show back to its asker: never pings anyone."""
    return inert(shorten(_SPACES.sub(" ", question).strip(), limit))


_RUN = re.compile(r"(\w)\1+")  # a letter held: "hiii", "coool"


def _collapsed(word: str) -> str:
    return _RUN.sub(r"\1", word)


def _by_collapsed(vocabulary: frozenset[str]) -> dict[str, str]:
    return {_collapsed(w): w for w in sorted(vocabulary, key=len, reverse=True)}


def _held(word: str, vocabulary: frozenset[str], collapsed: dict[str, str]) -> str:
    """`word` as meant when a letter was held ("byeee", "coool", "helloo")."""
    if word in vocabulary:
        return word
    return collapsed.get(_collapsed(word), word)


_GREETING_WORDS = frozenset(w for g in GREETINGS for w in g.split())
_GREETING_HELD = _by_collapsed(_GREETING_WORDS)
_GREETING_INITIALS = frozenset(w[:1] for w in _GREETING_WORDS if w)


_FIRST_WORD = re.compile(r"[^\w:]*(\w*)")  # past a "👋" or "..." before it
_ASKING_HELP = frozenset("help ok okay so um hmm please pls i need some me".split())
# A greeting alone is a few words: "good morning team :sunny:".
_GREETING_CHARS = 120


def _opens_with_greeting(question: str) -> bool:
    """The first word is one of a greeting's: asked of every question, so
    the rest of the reading is done for few of them."""
    first = _FIRST_WORD.match(question)
    word = first[1].lower() if first else ""
    if word[:1] not in _GREETING_INITIALS:
        return False
    return _held(word, _GREETING_WORDS, _GREETING_HELD) in _GREETING_WORDS


def is_greeting(question: str) -> bool:
    """A greeting alone: "hi", "Hiii!", "good morning team :wave:"."""
    if not question.strip(" !.?,"):
        return True  # an empty mention
    if len(question) > _GREETING_CHARS:
        return False
    if "help" in question.lower():
        asked = set(re.findall(r"[a-z]+", question.lower()))
        if "help" in asked and asked <= _ASKING_HELP:
            return True  # "ok help", "i need help", "help please": the intro
    if not _opens_with_greeting(question):
        return False
    words = question.strip(" !.?,").lower().split()
    said = " ".join(_held(w, _GREETING_WORDS, _GREETING_HELD) for w in words)
    if said in GREETINGS:
        return True
    start = _past_greeting_at(question)
    return bool(start) and not question[start:].strip(" !.?,")


# A greeting before the question ("hi, what is an stpm?", "good morning
# how do stpms stay current"): said to the bot, not about anything. One
# word of greeting not followed by punctuation only when it can't start a
# question ("morning standups" asks about standups).
_OPENING_WORD = re.compile(r"\w+")
_BETWEEN = re.compile(r"[\s,.!:;\u2014-]*")
_HELLO = frozenset({"hi", "hello", "hey", "hiya", "yo"})
# Whom a greeting is said to ("hi all", "good morning team"), and what may
# follow it before the question: emoji, punctuation.
_ADDRESSED = frozenset(
    "all everyone everybody team folks guys yall friends bot there".split()
)
# Emoji or punctuation; a hyphen only with a space before it ("hi all -"),
# since "all-hands" and "team-building" are words.
_MARK = rf"(?:{_EMOJI.pattern}|[,.!:;\u2014]|(?<=\s)-)"
_MARKED = re.compile(_MARK)
# After a greeting: spaces, emoji and punctuation, then whom it greets when
# punctuation or emoji (or the end) follows it: "hi all, …", "morning team
# :wave: …", not "hi all hands tips", "hello team building ideas".
_AFTER_GREETING = re.compile(
    rf"(?:{_MARK}|\s)*(?:(?:{'|'.join(sorted(_ADDRESSED))})"
    rf"(?:\s*{_MARK}(?:{_MARK}|\s)*|\s*$))?",
    re.IGNORECASE,
)


def _past_greeting_at(question: str) -> int:
    """Where what follows the greeting `question` opens with starts (0: it
    opens with none), past whom it greets and the emoji after it. One word
    of greeting with nothing after it but a space only when it can't start
    a question: "morning standup tips" asks about the morning's."""
    spans = list(itertools.islice(_OPENING_WORD.finditer(question), 4))
    for n in (3, 2, 1):  # the longest greeting first: "hi there", "hi"
        if len(spans) < n:
            continue
        heard = (
            _held(m[0].lower(), _GREETING_WORDS, _GREETING_HELD) for m in spans[:n]
        )
        said = " ".join(heard)
        if said not in GREETINGS or said in ("help", "start"):
            continue
        if any(
            not _BETWEEN.fullmatch(question[a.end() : b.start()])
            for a, b in itertools.pairwise(spans[:n])
        ):
            continue  # "hi-5s", "good, morning"? not one greeting
        end = spans[n - 1].end()
        after = _AFTER_GREETING.match(question, end)
        assert after is not None  # it matches the empty string
        told = question[end : after.end()]
        marked = bool(_MARKED.search(told)) or not question[after.end() :].strip()
        # "hey there are many tpms", "hello, there's a new stpm", "morning
        # standup tips": no greeting without a mark after it, unless it is
        # one word that only greets ("hi what …").
        bare = said.endswith(" there") or (n == 1 and said not in _HELLO)
        if bare and not marked:
            continue
        if not told and not marked:
            continue  # "hello's" (a curly apostrophe): it runs on into a word
        return after.end()
    return 0


def past_greeting(question: str) -> str:
    """`question` without the greeting it opens with ("hi, what is an
    stpm?", "good morning team :wave: how do stpms stay current"); as it is
    without one, or when nothing follows it (the same object, so a caller
    can tell)."""
    if not _opens_with_greeting(question):
        return question
    start = _past_greeting_at(question)
    if not start or start >= len(question.rstrip()):
        return question
    return question[start:]


# Words that close a conversation rather than ask anything ("thanks!",
# "ok cool", "bye"), and the words said around them ("thanks, that helps a
# lot"). A message made only of these gets a word back, not a search: it
# is no question the knowledge failed to answer.
_THANKS = frozenset(
    {"thanks", "thank", "thx", "thnx", "ty", "tysm", "tyvm", "cheers", "appreciated"}
    | {"appreciate", "ta"}
)
_BYE = frozenset({"bye", "goodbye", "cya", "ttyl", "later", "night", "gn"})
_ACK = frozenset(
    {"ok", "okay", "k", "kk", "cool", "great", "nice", "perfect", "awesome", "sure"}
    | {"alright", "noted", "yes", "yep", "yeah", "lol", "wow", "neat"}
    | {"got", "gotcha", "understood", "amazing", "excellent", "brilliant", "sweet"}
)
_AROUND = frozenset(
    {"you", "so", "much", "a", "lot", "very", "for", "the", "that", "this", "it"}
    | {"thats", "its"}
    | {"help", "helps", "helped", "helpful", "info", "answer", "again", "all"}
    | {"makes", "sense", "sounds", "good", "see", "ya", "bye", "many", "oh", "ah"}
    | {"will", "do", "read", "now", "then", "and", "just", "thing", "i", "needed"}
    | {"u"}
)
# "no" closes ("no thanks", "nope, all good") unless the word after it is
# what the answer failed to be: "makes no sense", "no help", "no good answer".
_NO = frozenset({"no", "nope", "nah"})
_NO_WHAT = frozenset(
    {"sense", "help", "helps", "helped", "helpful", "good", "answer", "info", "use"}
)
_AFTER_NO = frozenset({"worries", "problem", "prob", "probs"})  # "no worries"
# The bot addressed by name, said only around thanks or goodbye.
_ADDRESS = frozenset({"bot", "stpm", "stpmbot"})
# Closings made only of words said around others.
_ACK_PHRASES = frozenset(
    {"will do", "i see", "i see now", "oh i see", "ah i see", "yes please"}
    | {"yes pls", "yes plz", "yeah please", "yep please"}
)
_SMALL_TALK = _THANKS | _BYE | _ACK | _AROUND | _NO | _AFTER_NO | _ADDRESS
# Said around a word of thanks, or alone as one ("sounds good", "that
# helps", "makes sense"); "help" alone asks for help, so it is not here.
_FINE = frozenset({"good", "sense", "helps", "helped", "helpful"})
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_DIGIT = re.compile(r"\d")
# Eight words of small talk, with an emoji or two, fit well within this.
_SMALL_TALK_CHARS = 160
SmallTalk = Literal["thanks", "bye", "ack", "complaint"]
# What the last answer failed to be, said of it: "that's wrong", "makes no
# sense", "not helpful", "huh?", "nvm". Short; no topic in it.
_COMPLAINT = re.compile(
    r"(?:(?:no|nope|hmm+|um+|ugh|meh|well|but|sorry)\s+)?"
    r"(?:(?:that|this|it|thats|that's|its|it's|this is|that is|it is|that was)\s+)?"
    r"(?:(?:totally|completely|so|very|just|still|kinda|not really)\s+)?"
    r"(?:wrong|incorrect|useless|unhelpful|not helpful|no help|not it|not right"
    r"|not what i (?:asked|meant|wanted|was looking for)|nonsense|no sense"
    r"|makes no sense|doesn'?t (?:help|make sense)|didn'?t help|not useful"
    r"|huh+|what|wut|wat|nvm|never ?mind|wrong answer|bad answer|not (?:an )?answer"
    r"|no good(?: answer)?|not (?:a )?good answer)"
    r"(?:\s+(?:answer|lol|bot|tbh|sorry|though|again|at all|then))*"
)
_COMPLAINT_CHARS = 60
_SMALL_TALK_HELD = _by_collapsed(_SMALL_TALK)


def small_talk(question: str) -> SmallTalk | None:
    """What a message that asks nothing says: thanks, goodbye or "ok";
    None for anything else (a question, a greeting, an emoji alone)."""
    # Asked of every question: the cheap refusals first.
    if len(question) <= _COMPLAINT_CHARS:
        lowered = question.lower().replace("\u2019", "'")  # a curly apostrophe
        said = " ".join(re.sub(r"[^\w\s']", " ", _EMOJI.sub(" ", lowered)).split())
        if said and _COMPLAINT.fullmatch(said):
            return "complaint"
    if len(question) > _SMALL_TALK_CHARS or "?" in question:
        return None
    said = _EMOJI.sub(" ", question.lower())
    if _DIGIT.search(said):
        return None
    found = _WORD.findall(said)
    if not found or len(found) > 8:
        return None
    if " ".join(found) in _ACK_PHRASES:
        return "ack"
    words = []
    for word in found:  # the first word that is no small talk ends it
        said = _held(word.replace("'", ""), _SMALL_TALK, _SMALL_TALK_HELD)
        if said not in _SMALL_TALK:
            return None
        words.append(said)
    spoken = set(words)
    if any(a in _NO and b in _NO_WHAT for a, b in itertools.pairwise(words)):
        return None
    if "help" in spoken and not spoken & _THANKS:  # "ok help": asked for
        return None
    if spoken & _AFTER_NO and not spoken & _NO:
        return None
    farewell = bool(spoken & _BYE) or {"see", "ya"} <= spoken
    if spoken & _ADDRESS and not (farewell or spoken & _THANKS):
        return None
    if farewell:
        return "bye"
    if spoken & _THANKS:
        return "thanks"
    if spoken & (_ACK | _FINE | _NO) or " ".join(words) in _ACK_PHRASES:
        return "ack"
    return None


def clean_slack(text: str) -> str:
    """Drop Slack markup that carries no meaning for matching."""
    if "<" not in text and ":" not in text and "&" not in text:
        return text
    text = _SLACK_LINK.sub(lambda m: f" {m.group(1) or ''} ", text)
    text = _SLACK_REF.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = _BARE_URL.sub(" ", text)
    return unescape(text)


def plain(mrkdwn: str) -> str:
    """Slack mrkdwn as terminal text: no *, _ or ~ markers, links spelled out."""
    text = _LINK.sub(lambda m: f"{m[2]} ({m[1]})" if m[2] else m[1], mrkdwn)
    for pattern in (_BOLD, _ITALIC, _STRIKE):
        text = pattern.sub(r"\1", text)
    return unescape(text).strip()


_ATOM = re.compile(r"<[^<>\n]*>|&[a-z]+;|&#\d+;")


def split_mrkdwn(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at a paragraph
    break, else a line break, else a space, never inside a `<link|label>`,
    a mention or an `&amp;` (unless one alone is longer than `limit`)."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    inside = []
    for match in _ATOM.finditer(text):
        if match.start() > limit:
            break
        inside.append((match.start(), match.end()))

    def free(at: int) -> bool:
        return not any(start < at < end for start, end in inside)

    for mark in ("\n\n", "\n", " "):
        at = text.rfind(mark, 0, limit)
        while at > 0 and not free(at):
            at = text.rfind(mark, 0, at)
        if at > limit // 4:
            return at
    for start, end in inside:  # no free space: cut before the atom in the way
        if start < limit < end and start > 0:
            return start
    return limit


_LIVE = re.compile(r"<(?:[@!][^<>]*)>")
_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_SAFE_MARKUP = re.compile(r"<(?:https?://|mailto:|#C)[^<>]*>")


def live_mentions(text: str) -> list[str]:
    """Markup in `text` that would notify people: `<!here>`, `<!channel>`,
    `<!subteam^…>`, `<@U…>`."""
    return _LIVE.findall(text)


def html_tags(text: str) -> list[str]:
    """HTML tags in `text` (`<b>`, `</p>`): Slack shows them, it doesn't render them."""
    return [tag for tag in _HTML.findall(text) if not _SAFE_MARKUP.fullmatch(tag)]


def defuse(mrkdwn: str) -> str:
    """Knowledge text made safe to post: links (`<https://…|label>`,
    `<mailto:…>`, `<#C…>`) stay, any other `<…>` (a mention, a broadcast,
    HTML) is shown as typed instead of notifying or breaking the message."""
    return re.sub(
        r"<[^<>]*>",
        lambda m: m[0] if _SAFE_MARKUP.fullmatch(m[0]) else inert(m[0]),
        mrkdwn,
    )


def focus(question: str, limit: int) -> str:
    """What a question longer than `limit` characters asks: the sentence that
    ends at its last "?" (with the sentence before it when that one is
    short), so a long preamble doesn't drown the question; its first `limit`
    characters when it has no "?"."""
    if len(question) <= limit:
        return question
    end = question.rfind("?") + 1
    if not end:
        return question[:limit]
    start = _sentence_start(question, end - 1)
    if end - start < FOCUS_MIN and start:
        start = _sentence_start(question, start - 1)
    return question[max(start, end - limit) : end].strip()


FOCUS_MIN = 40
_BOUNDARY_RE = re.compile(r"[.!?\n]\s")


def _sentence_start(text: str, before: int) -> int:
    """Where the sentence holding position `before` starts."""
    starts = [m.end() for m in _BOUNDARY_RE.finditer(text, 0, before)]
    return starts[-1] if starts else 0


def printable(text: str) -> str:
    """`text` safe for a terminal: control characters (an escape sequence
    someone typed into a question) shown as `\\x1b`, never sent raw."""
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode()
        for c in text
    )
