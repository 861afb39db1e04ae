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
from bot.slack.blocks import SECTION_CHARS, TEACH_GAP, Message, button, verbatim
from bot.slack.posting import post_reply
from bot.slack.teach_modal import TeachValue
from bot.text.markup import echo, shorten

MAX_BLOCKS = 50  # Slack's limit for a message
MAX_SECTIONS = 30
MAX_TEACH = 15  # *Teach* buttons, one per unanswered question, most asked first


def _sections(lines: list[str]) -> list[Block]:
    chunks: list[str] = []
    for line in lines:
        line = shorten(line, SECTION_CHARS) or " "
        if chunks and len(chunks[-1]) + len(line) + 1 <= SECTION_CHARS:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return [
        SectionBlock(text=verbatim(chunk))  # the lines quote what people typed
        for chunk in chunks[:MAX_SECTIONS]
    ]


def _teach(groups: tuple[report.GapGroup, ...], room: int) -> list[Block]:
    """Each unanswered question with a *Teach* button (for curators)."""
    shown = groups[: min(MAX_TEACH, room - 1)]
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
    sections = _sections(lines)
    teach = _teach(data.groups, MAX_BLOCKS - 1 - len(sections))
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
