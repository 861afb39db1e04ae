"""The curators' digest: `stpm-bot report --post` to STPM_BOT_CURATORS_CHANNEL.

The same lines as the terminal report; what users typed goes through
`mrkdwn.echo`, so a question containing `<!channel>` notifies nobody.
"""

from __future__ import annotations

import secrets
import time

from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.answers import gaps as report
from bot.slack.blocks import (
    ANSWER_CHARS,
    SECTION_CHARS,
    TEACH_GAP,
    Message,
    button,
    verbatim,
)
from bot.slack.posting import post_reply
from bot.slack.teach_modal import TeachValue
from bot.text.markup import echo, shorten

MAX_BLOCKS = 50  # Slack's limit for a message
MAX_SECTIONS = 30
MAX_TEACH = 15  # *Teach* buttons, one per unanswered question, most asked first
# A *Teach* row's text besides the question (quotes, the button, its value).
TEACH_COST = 40
MORE = "_(The rest is in `stpm-bot report`: Slack holds no more in one message.)_"


def _sections(lines: list[str], budget: list[int]) -> list[Block]:
    """The report's lines in sections, while `budget` (characters left for
    the whole message) lasts; then a note where the rest is."""
    chunks: list[str] = []
    for line in lines:
        line = shorten(line, SECTION_CHARS) or " "
        if chunks and len(chunks[-1]) + len(line) + 1 <= SECTION_CHARS:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    sections: list[Block] = []
    for chunk in chunks[:MAX_SECTIONS]:
        if len(chunk) > budget[0]:
            sections.append(SectionBlock(text=verbatim(MORE)))
            budget[0] = 0
            break
        budget[0] -= len(chunk)
        # The lines quote what people typed.
        sections.append(SectionBlock(text=verbatim(chunk)))
    return sections


def _teach(
    groups: tuple[report.GapGroup, ...], room: int, budget: list[int]
) -> list[Block]:
    """Each unanswered question with a *Teach* button (for curators), as
    many as the blocks and `budget` left allow."""
    shown = []
    for group in groups[: min(MAX_TEACH, room - 1)]:
        cost = len(echo(group.question, 150)) + TEACH_COST
        if cost > budget[0]:
            break
        budget[0] -= cost
        shown.append(group)
    if not shown:
        return []
    blocks: list[Block] = [
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="*Teach me*: add a question to an entry, or draft a new one."
                )
            ]
        )
    ]
    for n, group in enumerate(shown):
        value = TeachValue(group.question).encode()
        blocks.append(
            SectionBlock(
                text=verbatim(f"“{echo(group.question, 150)}”"),
                accessory=button("Teach", f"{TEACH_GAP}:{n}", value),
            )
        )
    return blocks


def digest(data: report.GapReport) -> Message:
    since = f" since {data.since.isoformat()}" if data.since else ""
    title = f"Knowledge gaps{since}"
    lines = report.lines(data, quote=lambda text: echo(text, 150))
    budget = [ANSWER_CHARS - len(title)]
    sections = _sections(lines, budget)
    teach = _teach(data.groups, MAX_BLOCKS - 1 - len(sections), budget)
    return Message(f"{title}: {lines[0]}", (HeaderBlock(text=title), *sections, *teach))


def post(client: WebClient, channel: str, data: report.GapReport) -> None:
    """Once: after a reset, a timeout or a 5xx the channel is looked at for
    this run's digest before a second try (`post_reply`); raises
    `UnknownIfPosted` when that can't be known."""
    post_reply(
        client,
        f"digest:{secrets.token_hex(8)}",
        channel=channel,
        thread_ts=None,
        since=f"{time.time() - 60:.6f}",
        **digest(data).as_kwargs(),
    )
