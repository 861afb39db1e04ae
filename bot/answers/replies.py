"""What the bot says, independent of where it says it.

The terminal chat renders a `Reply` as text, the Slack app as Block Kit, so
both always carry the same answer, suggestions and related links.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.models import Entry, Knowledge
from bot.search.retriever import Outcome, Result
from bot.text.markup import SmallTalk, small_talk
from bot.text.reference import Kind

EMPTY_PROMPT = "Ask me something about the Senior Technical Program Manager role."
# The word back to a message that asks nothing (`markup.small_talk`).
CLOSINGS: dict[SmallTalk, str] = {
    "thanks": "You're welcome! Ask me anything else about the STPM role.",
    "bye": "Bye! I'm here whenever you have a question about the STPM role.",
    "ack": "👍 Ask me anything else about the STPM role whenever you like.",
    "complaint": (
        "Sorry that didn't help. Try asking in other words, or about one part "
        "of it; on an answer in Slack, 👎 tells the curators what was missing."
    ),
}
EXAMPLES = (
    "What does a senior TPM do?",
    "How important is cybersecurity for an STPM?",
    "How do STPMs stay current with new technology?",
)


@dataclass(frozen=True)
class Link:
    id: str
    title: str


@dataclass(frozen=True)
class Reply:
    outcome: Outcome
    question: str
    title: str = ""
    text: str = ""
    source: str = ""
    entry_id: str = ""
    score: float = 0.0
    related: tuple[Link, ...] = ()
    suggestions: tuple[Link, ...] = ()
    topics: tuple[str, ...] = ()
    human_contact: str = ""
    lead: str = ""  # a line before the answer ("More on X:")
    also: tuple[Reply, ...] = ()  # answers to the other parts of the question
    # Suggested because the question asks about one organisation, person or
    # moment the knowledge never speaks of, or for a figure it never gives
    # (`Result.particular`).
    particular: tuple[Kind, ...] = ()
    # "empty" only: a message that asked nothing ("thanks", "bye"), whose
    # `text` is the word back.
    closing: bool = False

    @property
    def general_only(self) -> str:
        """Why a question about this company, its people or a moment, or for
        a figure, gets related reads instead of an answer; empty for any
        other reply."""
        if not self.particular:
            return ""
        return GENERAL_ONLY.format(" or ".join(PARTICULAR[k] for k in self.particular))


# What a reply says general knowledge can't know, for each kind of question.
GENERAL_ONLY = "What I have on this is general, not {}."
PARTICULAR: dict[Kind, str] = {
    "organisation": "your company's own details",
    "person": "who holds which job at your company",
    "time": "what will happen next or is happening right now",
    "figure": "figures such as pay, years or counts",
    "credential": "which certifications or degrees to get",
    "hiring": "interviews, offers or hiring",
    "career": "the levels or roles after this one",
    "role": "how it compares with other jobs",
    "policy": "working conditions such as on-call, hours, leave or remote work",
}
RELATED_READS = "Related reads:"
# Who may know what the knowledge can't (`Reply.human_contact`).
ASK_A_PERSON = "Someone may know: ask {}."


def link(entry: Entry) -> Link:
    return Link(entry.id, entry.title)


MAX_TOPICS = 8


def topics(knowledge: Knowledge) -> tuple[str, ...]:
    """What the knowledge covers, one topic per file (its first entry, the
    file's subject), each with a way to ask about it: "Cloud computing (e.g.
    “how important is cloud for an stpm”)". Section names ("FAQ",
    "Introduction") say nothing about what to ask."""
    firsts: dict[str, Entry] = {}
    for entry in knowledge.entries:
        firsts.setdefault(entry.file, entry)
    shown = []
    for entry in list(firsts.values())[:MAX_TOPICS]:
        example = entry.questions[0] if entry.questions else ""
        shown.append(f"{entry.title} (e.g. “{example}”)" if example else entry.title)
    return tuple(shown)


def entry_reply(knowledge: Knowledge, entry: Entry, question: str = "") -> Reply:
    """One entry shown in full, with its related entries."""
    return Reply(
        outcome="answered",
        question=question,
        title=entry.title,
        text=entry.answer.strip(),
        source=entry.source,
        entry_id=entry.id,
        related=tuple(link(e) for e in knowledge.related(entry)),
    )


def reply_for(knowledge: Knowledge, result: Result, human_contact: str = "") -> Reply:
    """Turn a retrieval result into what the user sees."""
    if result.status == "empty":
        said = small_talk(result.question)
        if said is not None:
            return Reply("empty", result.question, text=CLOSINGS[said], closing=True)
        return Reply("empty", result.question, text=EMPTY_PROMPT)
    if result.best is not None:
        best = entry_reply(knowledge, result.best.entry, result.question)
        more = tuple(
            link(m.entry)
            for m in result.answers[1:]
            if m.entry.id not in {r.id for r in best.related}
        )
        return Reply(
            outcome="answered",
            question=result.question,
            title=best.title,
            text=best.text,
            source=best.source,
            entry_id=best.entry_id,
            score=result.best.score,
            related=best.related + more,
        )
    if result.suggestions:
        return Reply(
            "suggested",
            result.question,
            suggestions=tuple(link(m.entry) for m in result.suggestions),
            particular=result.particular,
            # A person may know what the knowledge can't.
            human_contact=human_contact if result.particular else "",
        )
    return Reply(
        "no_match",
        result.question,
        topics=topics(knowledge),
        human_contact=human_contact,
    )
