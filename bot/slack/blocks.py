"""Block Kit for every message the app sends, built with `slack_sdk.models`.

The models check Slack's limits when `to_dict()` runs, so a message that
Slack would reject fails here, in the tests, first. Whatever the user typed is
shown only through `mrkdwn.echo`, so it never notifies anyone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextActionsBlock,
    ContextBlock,
    DividerBlock,
    FeedbackButtonObject,
    FeedbackButtonsElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.answers.replies import ASK_A_PERSON, EXAMPLES, RELATED_READS, Link, Reply
from bot.knowledge.models import Entry, Knowledge, Tip
from bot.text.markup import defuse, echo, inert, plain, shorten, split_mrkdwn

SHOW_ENTRY = "show_entry"
VOTE_UP = "feedback_up"
VOTE_DOWN = "feedback_down"
SHARE = "share_answer"
ASK_EXPERT = "ask_expert"
ASK_EXPERT_NAMED = "ask_expert_named"  # the same, with the asker mentioned
EXPERT_ANSWERED = "expert_answered"
TEACH_EXPERT = "teach_expert"  # *Add to knowledge* on the experts' post
TEACH_GAP = "teach_gap"  # *Teach* beside a gap in the digest: teach_gap:N
TEACH_GAP_ACTION = re.compile(rf"^{TEACH_GAP}(:\d+)?$")
TEACH_VIEW = "teach"  # the teaching modal's callback_id
TEACH_ENTRY = "teach_entry"  # its entry picker (external when over 100 entries)
STOP_HERE = "stop_answering"
HIDE_ANSWER = "hide_answer"
MY_TIP_ON = "my_tip_on"
MY_TIP_OFF = "my_tip_off"
MY_TIP_TIME = "my_tip_time"
MY_TIP_TIMES = tuple(f"{h:02d}:00" for h in range(6, 21))
WHY_OPEN = "feedback_why"  # "Tell us why" after a 👎
WHY_VIEW = "feedback_reason"  # the modal's callback_id
# Slack's own 👍/👎 under an answer in the AI-app side panel (one action_id,
# the vote in the value).
FEEDBACK_BUTTONS = "feedback_buttons"
# Slack wants action_ids unique within a message, so each button carries a suffix.
SHOW_ENTRY_ACTION = re.compile(rf"^{SHOW_ENTRY}(:.*)?$")
FEEDBACK_ACTION = re.compile(rf"^({VOTE_UP}|{VOTE_DOWN})$")

SECTION_CHARS = 3000
OPTION_VALUE_CHARS = 150  # a menu option's value, Slack's limit
_TS = re.compile(r"\d{1,12}\.\d{1,8}")  # a message's ts, as Slack writes one
# All of one answer's sections together: Slack rejects a message whose blocks
# hold much more (msg_blocks_too_long), under its 50 blocks.
ANSWER_CHARS = 11_000
MAX_BUTTONS = 5
BUTTON_CHARS = 75
FALLBACK_CHARS = 12_000
QUESTION_KEY_CHARS = 150
ID_CHARS = 80  # an entry id's most (its pattern's)
EXPERT_QUESTION_CHARS = 300  # a button's value holds at most 2000 characters
TIP_FOOTER = "Daily STPM tip · stop with `/stpm tips off`"
MY_TIP_FOOTER = "Your daily STPM tip · stop it in my Home tab, or `/stpm tips off` here"
SORRY = "Sorry, something went wrong on my side. Please try again in a minute."


@dataclass(frozen=True)
class Message:
    """A message's notification `text` and its `blocks`, ready for the Web API."""

    text: str
    blocks: tuple[Block, ...] = ()

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": [b.to_dict() for b in self.blocks]}


@dataclass(frozen=True)
class VoteValue:
    """An entry and the question it answers; `thread_ts`: the thread a share
    of it goes to (the message the shortcut was used on), if not the click's."""

    entry_id: str
    question: str
    thread_ts: str = ""

    def encode(self) -> str:
        data = {"e": self.entry_id, "q": self.question}
        if self.thread_ts:
            data["t"] = self.thread_ts
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, value: str) -> VoteValue | None:
        try:
            data = json.loads(value)
            # Never more than the bot put there (a forged one may be huge).
            entry_id, question = str(data["e"]), str(data.get("q", ""))
            thread = str(data.get("t", ""))
            return cls(
                entry_id[:ID_CHARS],
                question[:QUESTION_KEY_CHARS],
                thread if _TS.fullmatch(thread) else "",
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def _option_value(entry_id: str, asked: str, thread_ts: str = "") -> str:
    """A menu option's value: the id, or with `asked` (as much of the
    question as fits Slack's 150 characters) and `thread_ts`. A character
    outside ASCII takes six or twelve escaped, so the longest prefix that
    fits is searched for, not guessed from the overshoot."""
    if not asked and not thread_ts:
        return entry_id

    def value(kept: int) -> str:
        return VoteValue(entry_id, asked[:kept], thread_ts).encode()

    fits, over = 0, min(len(asked), QUESTION_KEY_CHARS) + 1
    if len(value(over - 1)) <= OPTION_VALUE_CHARS:
        return value(over - 1)
    while over - fits > 1:  # value(fits) fits (or nothing does); value(over) not
        middle = (fits + over) // 2
        if len(value(middle)) <= OPTION_VALUE_CHARS:
            fits = middle
        else:
            over = middle
    found = value(fits)
    return found if len(found) <= OPTION_VALUE_CHARS else entry_id


def shown_value(value: str) -> VoteValue:
    """What a "show entry" button carries: an id alone, or (offered for a
    question, or to be shared in a thread) a `VoteValue`."""
    if value.startswith("{"):
        return VoteValue.decode(value) or VoteValue("", "")
    return VoteValue(value, "")


@dataclass(frozen=True)
class ExpertValue:
    """What "Ask an expert" passes on: the question and, when the button is in
    a private message, the conversation it belongs to (else the click says)."""

    question: str
    channel: str = ""
    thread_ts: str = ""
    entry_id: str = ""  # the answer that got a 👎, if that's how it came

    def encode(self) -> str:
        data = {
            "q": self.question[:EXPERT_QUESTION_CHARS],
            "c": self.channel,
            "t": self.thread_ts,
            "e": self.entry_id,
        }
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, value: str) -> ExpertValue | None:
        try:
            data = json.loads(value)
            channel, ts, entry = (str(data.get(k) or "")[:ID_CHARS] for k in "cte")
            question = str(data["q"])[:EXPERT_QUESTION_CHARS]
            return cls(question, channel, ts, entry)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def _section(text: str, echoes: bool = False) -> SectionBlock:
    """A mrkdwn section; a mention or HTML in it (knowledge that skipped
    `validate`) is shown as typed, never notifies anyone. `echoes`: it
    shows what someone typed (`verbatim`)."""
    return SectionBlock(text=verbatim(shorten(defuse(text), SECTION_CHARS), echoes))


def _context(text: str, echoes: bool = False) -> ContextBlock:
    return ContextBlock(elements=[verbatim(shorten(text, 2000), echoes)])


def verbatim(text: str, echoes: bool = True) -> MarkdownTextObject:
    """mrkdwn; `echoes`: it shows what someone typed, so Slack turns none of
    it into a link or a channel name (a typed URL stays words); the bot's
    own `<url|label>` links and mentions still work."""
    return MarkdownTextObject(text=text, verbatim=True if echoes else None)


def _source(source: str) -> str:
    """Where an answer comes from; a mention in it (knowledge that skipped
    `validate`) is shown as typed, as in `_section`."""
    return f"Source: {defuse(source)}"


def _button(
    text: str, action_id: str, value: str, style: str | None = None
) -> ButtonElement:
    return ButtonElement(
        text=shorten(text, BUTTON_CHARS), action_id=action_id, value=value, style=style
    )


def button(
    text: str, action_id: str, value: str, style: str | None = None
) -> ButtonElement:
    """A button within Slack's limits (for the other Slack modules)."""
    return _button(text, action_id, value, style)


def _entry_buttons(
    links: Sequence[Link], asked: str = "", thread_ts: str = ""
) -> ActionsBlock:
    """A button for each of the first `MAX_BUTTONS` entries (each once), and a
    menu with the rest, so a long list never becomes a wall of buttons.
    `asked`: the question the entries are offered for ("did you mean"); its
    buttons carry it (`shown_value`), so the entry opened is voted on and
    shared as the answer to it. `thread_ts`: where an entry opened privately
    is shared (the shortcut's message's thread)."""
    unique = list({link.id: link for link in links}.values())
    shown, rest = unique[:MAX_BUTTONS], unique[MAX_BUTTONS : MAX_BUTTONS + 100]
    elements: list[Any] = [
        _button(
            link.title,
            f"{SHOW_ENTRY}:{link.id}",
            VoteValue(link.id, asked[:QUESTION_KEY_CHARS], thread_ts).encode()
            if asked or thread_ts
            else link.id,
        )
        for link in shown
    ]
    if rest:
        options = [
            Option(
                text=PlainTextObject(text=shorten(link.title, 75)),
                value=_option_value(link.id, asked, thread_ts),
            )
            for link in rest
        ]
        elements.append(
            StaticSelectElement(
                placeholder=PlainTextObject(text=f"{len(rest)} more…"),
                action_id=f"{SHOW_ENTRY}:more",
                options=options,
            )
        )
    return ActionsBlock(elements=elements)


def _text_sections(text: str, budget: list[int]) -> list[SectionBlock]:
    """`text` in as many sections as it needs, cut between paragraphs or
    lines, never inside markup, while `budget` (characters left for the
    whole message, shared by its parts) lasts; then a note."""
    sections = []
    for piece in split_mrkdwn(text, SECTION_CHARS):
        if len(piece) > budget[0]:
            sections.append(_section("_(The rest is too long for one message.)_"))
            budget[0] = 0
            break
        sections.append(_section(piece))
        budget[0] -= len(piece)
    return sections


def _plain(text: str) -> str:
    """mrkdwn without the markers, for notifications and screen readers."""
    return re.sub(r"(?<!\w)[*_~](.+?)[*_~](?!\w)", r"\1", text)


def feedback_block(entry_id: str, question: str) -> ActionsBlock:
    value = VoteValue(entry_id, question[:QUESTION_KEY_CHARS]).encode()
    return ActionsBlock(
        block_id=f"feedback:{entry_id}"[:255],
        elements=[
            _button("👍 Helpful", VOTE_UP, value),
            _button("👎 Not helpful", VOTE_DOWN, value),
        ],
    )


@dataclass(frozen=True)
class NativeVote:
    """What a native feedback button sends: the vote and the answer it is on."""

    vote: int
    value: VoteValue

    def encode(self) -> str:
        data = {"v": self.vote, "e": self.value.entry_id, "q": self.value.question}
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, value: str) -> NativeVote | None:
        try:
            data = json.loads(value)
            vote = data["v"]
            entry, question = str(data["e"]), str(data.get("q", ""))
        except (ValueError, TypeError, KeyError):
            return None
        if vote not in (1, -1):
            return None
        return cls(vote, VoteValue(entry[:ID_CHARS], question[:QUESTION_KEY_CHARS]))


def feedback_buttons_block(entry_id: str, question: str) -> ContextActionsBlock:
    """Slack's native 👍/👎 (the side panel), recording what the vote buttons do."""
    value = VoteValue(entry_id, question[:QUESTION_KEY_CHARS])
    buttons = FeedbackButtonsElement(
        action_id=FEEDBACK_BUTTONS,
        positive_button=FeedbackButtonObject(
            text="👍",
            accessibility_label="Helpful",
            value=NativeVote(1, value).encode(),
        ),
        negative_button=FeedbackButtonObject(
            text="👎",
            accessibility_label="Not helpful",
            value=NativeVote(-1, value).encode(),
        ),
    )
    return ContextActionsBlock(
        block_id=f"feedback:{entry_id}"[:255], elements=[buttons]
    )


def answer(
    reply: Reply,
    *,
    private: bool = False,
    shared: bool = False,
    by: str = "",
    follow_up: bool = False,
    auto: bool = False,
    native_feedback: bool = False,
    asked_with: str = "/stpm",
    thread_ts: str = "",
) -> Message:
    """An answer: text, source, related entries, feedback; a share button if private.
    The other parts of a question in parts follow, each with its source.
    `native_feedback`: Slack's own feedback buttons (the side panel), last.
    `asked_with`: how a shared answer was asked for. `thread_ts`: the thread
    a private answer's entries are shared to (the shortcut's message's)."""
    blocks: list[Block] = [_context(reply.lead)] if reply.lead else []
    budget = [ANSWER_CHARS]
    blocks += _text_sections(f"*{reply.title}*\n{reply.text}", budget)
    # Who shared it and what was asked (shown as typed: verbatim), then the
    # knowledge's own source line (not verbatim: its links work as written).
    told = [f"Shared by <@{by}>"] if shared and by else []
    if reply.question and (private or shared):
        asked = "You asked" if private else f"Asked with {asked_with}"
        told.append(f"{asked}: “{echo(reply.question)}”")
    notes = [verbatim(shorten(" · ".join(told), 2000))] if told else []
    if reply.source:
        notes.append(MarkdownTextObject(text=shorten(_source(reply.source), 2000)))
    if notes:
        blocks.append(ContextBlock(elements=notes))
    if reply.related:
        blocks.append(_section("*Related*"))
        blocks.append(_entry_buttons(reply.related, thread_ts=thread_ts))
    if not native_feedback:
        blocks.append(feedback_block(reply.entry_id, reply.question or reply.title))
    if auto:  # a help channel's unasked-for answer: anyone may hide it
        value = VoteValue(reply.entry_id, reply.question[:QUESTION_KEY_CHARS]).encode()
        blocks[-1] = ActionsBlock(
            block_id=f"feedback:{reply.entry_id}"[:255],
            elements=[
                _button("👍 Helpful", VOTE_UP, value),
                _button("👎 Not helpful (hide)", HIDE_ANSWER, value),
            ],
        )
    if follow_up:  # answered without a mention: let the thread say "enough"
        blocks.append(
            ActionsBlock(
                block_id="stop_answering",
                elements=[_button("Stop answering here", STOP_HERE, "stop")],
            )
        )
    if private:
        share = VoteValue(
            reply.entry_id, reply.question[:QUESTION_KEY_CHARS], thread_ts
        )
        blocks.append(
            ActionsBlock(
                elements=[_button("Share in channel", SHARE, share.encode(), "primary")]
            )
        )
    for part in reply.also:
        if not budget[0]:
            break
        blocks.append(DividerBlock())
        blocks += _text_sections(f"*{part.title}*\n{part.text}", budget)
        if part.source:
            blocks.append(_context(_source(part.source)))
    if native_feedback:
        key = reply.question or reply.title
        blocks.append(feedback_buttons_block(reply.entry_id, key))
    return Message(_fallback(reply), tuple(blocks))


def _fallback(reply: Reply) -> str:
    """Everything the blocks say, as plain words: what notifications and
    screen readers get."""
    lines = [reply.lead] if reply.lead else []
    for part in (reply, *reply.also):
        lines += [f"{part.title}: {part.text}"]
        if part.source:
            lines.append(f"Source: {part.source}")
        if part.related:
            lines.append("Related: " + "; ".join(r.title for r in part.related))
    return inert(shorten(plain(_plain("\n".join(lines))), FALLBACK_CHARS))


def suggestions(
    reply: Reply, *, ask_expert: bool = False, thread_ts: str = ""
) -> Message:
    """ "Did you mean"; or, for a question the knowledge can't know the
    answer to (`Reply.general_only`), why, the related reads and, as when
    nothing matched, who to ask."""
    titles = "; ".join(link.title for link in reply.suggestions)
    if reply.general_only:
        text = f"{reply.general_only} {RELATED_READS} {titles}."
        shown: list[Block] = [
            _section(reply.general_only),
            _context(RELATED_READS),
            _entry_buttons(reply.suggestions, reply.question, thread_ts),
        ]
        if reply.human_contact:
            # Configured by the admin, so it may use Slack links such as <#C123>.
            ask = ASK_A_PERSON.format(reply.human_contact)
            shown.append(_context(ask))
            text += f" {ask}"
        if ask_expert:
            shown.append(ask_expert_block(ExpertValue(reply.question)))
        return Message(shorten(text, FALLBACK_CHARS), tuple(shown))
    intro = f"I'm not sure what you mean by “{echo(reply.question)}”. Did you mean:"
    return Message(
        shorten(f"Did you mean: {titles}?", FALLBACK_CHARS),
        (
            _section(intro, echoes=True),
            _entry_buttons(reply.suggestions, reply.question, thread_ts),
        ),
    )


def ask_expert_block(value: ExpertValue) -> ActionsBlock:
    """Two ways to ask: without a name (the default, first), or mentioned in
    the experts' post, so they can reach the asker directly."""
    encoded = value.encode()
    return ActionsBlock(
        block_id="ask_expert",
        elements=[
            _button("Ask an expert", ASK_EXPERT, encoded),
            _button("Ask an expert, mention me", ASK_EXPERT_NAMED, encoded),
        ],
    )


def with_ask_expert(text: str, value: ExpertValue) -> Message:
    return Message(text, (_section(text), ask_expert_block(value)))


def no_match(reply: Reply, *, ask_expert: bool = False) -> Message:
    topics = "\n".join(f"• {topic}" for topic in reply.topics)
    blocks: list[Block] = [
        _section(
            f"Sorry, I don't have an answer to “{echo(reply.question)}”.", echoes=True
        ),
        _section(f"*I can answer questions about:*\n{topics}"),
    ]
    text = "Sorry, I don't have an answer to that."
    if reply.human_contact:
        # Configured by the admin, so it may use Slack links such as <#C123>.
        blocks.append(_context(f"For anything else, ask {reply.human_contact}."))
        text += f" For anything else, ask {reply.human_contact}."
    if ask_expert:
        blocks.append(ask_expert_block(ExpertValue(reply.question)))
    return Message(text, tuple(blocks))


def intro() -> Message:
    examples = "\n".join(f"• {q}" for q in EXAMPLES)
    body = (
        "Hi! I answer questions about the *Senior Technical Program Manager* role: "
        "responsibilities, skills, qualities and best practices."
    )
    how = (
        "*How to ask*\n• Mention me in a channel: `@STPM Bot what does an STPM do?`\n"
        "• Send me a direct message.\n• `/stpm [question]` answers just for you.\n"
        "• `/skill [name]` shows how important a technical skill is.\n"
        "• `/stpm tips on [HH:MM]` posts a daily tip in a channel; "
        "`/stpm tips off` stops it."
    )
    return Message(
        "Hi! Ask me about the Senior Technical Program Manager role, "
        "or try /stpm and /skill.",
        (_section(body), _section(f"*For example*\n{examples}"), _section(how)),
    )


def for_reply(
    reply: Reply,
    *,
    private: bool = False,
    ask_expert: bool = False,
    follow_up: bool = False,
    native_feedback: bool = False,
    thread_ts: str = "",
) -> Message:
    """The message for `reply`; `ask_expert` offers the experts when nothing
    matched or the knowledge can't know the answer; `follow_up`: answered in
    a thread without a mention; `native_feedback`: Slack's own feedback
    buttons instead of the votes; `thread_ts`: see `answer`."""
    if reply.outcome == "answered":
        return answer(
            reply,
            private=private,
            follow_up=follow_up,
            native_feedback=native_feedback,
            thread_ts=thread_ts,
        )
    if reply.outcome == "suggested":
        return suggestions(reply, ask_expert=ask_expert, thread_ts=thread_ts)
    if reply.outcome == "no_match":
        return no_match(reply, ask_expert=ask_expert)
    if reply.closing:
        return Message(reply.text, (_section(reply.text),))
    return intro()


def skill_line(entry: Entry) -> str:
    if entry.skill is None:
        return entry.title
    return f"*{entry.skill.name}*: {entry.skill.importance.value}"


def skill(entry: Entry, knowledge: Knowledge) -> Message:
    related = tuple(Link(e.id, e.title) for e in knowledge.related(entry))
    blocks: list[Block] = [
        _section(skill_line(entry)),
        *_text_sections(entry.answer.strip(), [ANSWER_CHARS]),
    ]
    if related:
        blocks.append(_entry_buttons(related))
    return Message(_plain(skill_line(entry)), tuple(blocks))


def _skills_text(knowledge: Knowledge) -> str:
    lines = "\n".join(f"• {skill_line(e)}" for e in knowledge.skills)
    return f"*Technical skills for STPMs*\n{lines}"


def skills_table(knowledge: Knowledge) -> Message:
    return Message(
        "Technical skills and their importance for STPMs",
        (_section(_skills_text(knowledge)),),
    )


def unknown_skill(name: str, options: Sequence[Link]) -> Message:
    text = f"I don't know a skill called “{echo(name, 80)}”."
    blocks: list[Block] = [
        _section(text + (" Did you mean:" if options else ""), echoes=True)
    ]
    if options:
        blocks.append(_entry_buttons(options))
    else:
        blocks.append(_context("Try `/skill` for the whole table."))
    return Message(f"I don't know a skill called “{echo(name, 80)}”.", tuple(blocks))


def notice(text: str, echoes: bool = False) -> Message:
    return Message(text, (_section(text, echoes),))


def announcement(text: str, user: str) -> Message:
    """A public note of what `user` did: the one place the bot writes a
    mention on purpose (of that person; `text` holds `{user}`)."""
    said = text.format(user=f"<@{user}>")
    block = SectionBlock(text=MarkdownTextObject(text=shorten(said, SECTION_CHARS)))
    return Message(said, (block,))


def daily_tip(
    tip: Tip, knowledge: Knowledge, personal: bool = False, footer: bool = True
) -> Message:
    """A channel's (or one person's) tip of the day: the tip, its related
    entry, how to stop (`footer`: not when it was asked for)."""
    said = f"*Tip of the day*\n{tip.text.strip()}"
    blocks: list[Block] = [*_text_sections(said, [ANSWER_CHARS])]
    entry = knowledge.by_id.get(tip.related or "")
    if entry is not None:
        blocks.append(_entry_buttons([Link(entry.id, f"Read more: {entry.title}")]))
    if footer:
        blocks.append(_context(MY_TIP_FOOTER if personal else TIP_FOOTER))
    text = shorten(_plain(f"Tip of the day: {tip.text.strip()}"), FALLBACK_CHARS)
    return Message(text, tuple(blocks))


@dataclass(frozen=True)
class MyTip:
    """The daily tip in the person's own DM, for App Home: whether it's on,
    at what time, and whether a time can be chosen (not when a job posts)."""

    on: bool
    time: str = "09:00"
    zone: str = "UTC"
    choose_time: bool = True
    weekends: bool = False


def _my_tip_blocks(mine: MyTip) -> list[Block]:
    if mine.on:
        when = (
            f"{'every day' if mine.weekends else 'every weekday'} at {mine.time} "
            f"({mine.zone})"
            if mine.choose_time
            else ("once a day, when the daily tips job runs")
        )
        text = f"*Your daily tip*\nOn: in your messages with me, {when}."
        toggle = _button("Stop my daily tip", MY_TIP_OFF, "off")
    else:
        text = (
            "*Your daily tip*\n"
            "Off. Get one best practice a day in your messages with me."
        )
        toggle = _button("Send me the daily tip", MY_TIP_ON, mine.time, "primary")
    elements: list[Any] = [toggle]
    if mine.choose_time:
        options = [Option(text=PlainTextObject(text=t), value=t) for t in MY_TIP_TIMES]
        chosen = next((o for o in options if o.value == mine.time), None)
        elements.append(
            StaticSelectElement(
                placeholder=PlainTextObject(text="Time"),
                action_id=MY_TIP_TIME,
                options=options,
                initial_option=chosen,
            )
        )
    return [_section(text), ActionsBlock(block_id="my_tip", elements=elements)]


def home(
    knowledge: Knowledge,
    topics: Sequence[str],
    tip: Tip | None,
    note: str = "",
    mine: MyTip | None = None,
) -> View:
    """The App Home tab: how to ask, topics, the skills table, today's tip and
    the person's own daily tip; `note` first (e.g. why the page was refreshed)."""
    blocks: list[Block] = [_context(note)] if note else []
    blocks += [
        HeaderBlock(text="STPM Bot"),
        *intro().blocks,
        DividerBlock(),
        _section("*What I know about*\n" + "\n".join(f"• {t}" for t in topics)),
        _section(_skills_text(knowledge)),
    ]
    if tip is not None:
        said = f"*Today's tip*\n{tip.text.strip()}"
        blocks += [DividerBlock(), *_text_sections(said, [ANSWER_CHARS])]
        if tip.related and tip.related in knowledge.by_id:
            entry = knowledge.by_id[tip.related]
            blocks.append(_entry_buttons([Link(entry.id, f"Read more: {entry.title}")]))
    if mine is not None:
        blocks += [DividerBlock(), *_my_tip_blocks(mine)]
    return View(type="home", blocks=blocks[:100])


def why_button(value: VoteValue) -> ActionsBlock:
    return ActionsBlock(
        block_id="feedback_why",
        elements=[_button("Tell us why (optional)", WHY_OPEN, value.encode())],
    )


def why_modal(value: VoteValue, reasons: dict[str, str]) -> View:
    """The optional 👎 modal: a few choices and the person's own words."""
    choices = [
        Option(text=PlainTextObject(text=label[:75].capitalize()), value=key)
        for key, label in reasons.items()
    ]
    return View(
        type="modal",
        callback_id=WHY_VIEW,
        private_metadata=value.encode(),
        title=PlainTextObject(text="Why not helpful?"),
        submit=PlainTextObject(text="Send"),
        close=PlainTextObject(text="Skip"),
        blocks=[
            InputBlock(
                block_id="reason",
                label=PlainTextObject(text="What was wrong with the answer?"),
                element=RadioButtonsElement(action_id="choice", options=choices),
            ),
            InputBlock(
                block_id="note",
                optional=True,
                label=PlainTextObject(text="Anything the curators should know?"),
                element=PlainTextInputElement(
                    action_id="text", multiline=True, max_length=2000
                ),
            ),
        ],
    )
