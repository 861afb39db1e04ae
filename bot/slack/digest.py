"""The curators' digest: `stpm-bot report --post` to STPM_BOT_CURATORS_CHANNEL.

The same lines as the terminal report; what users typed goes through
`mrkdwn.echo`, so a question containing `<!channel>` notifies nobody.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.answers import gaps as report
from bot.slack.blocks import SECTION_CHARS, Message
from bot.text.markup import echo, shorten

MAX_SECTIONS = 40  # Slack allows 50 blocks in a message


def _sections(lines: list[str]) -> list[Block]:
    chunks: list[str] = []
    for line in lines:
        line = shorten(line, SECTION_CHARS) or " "
        if chunks and len(chunks[-1]) + len(line) + 1 <= SECTION_CHARS:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return [
        SectionBlock(text=MarkdownTextObject(text=chunk))
        for chunk in chunks[:MAX_SECTIONS]
    ]


def digest(data: report.GapReport) -> Message:
    since = f" since {data.since.isoformat()}" if data.since else ""
    title = f"Knowledge gaps{since}"
    lines = report.lines(data, quote=lambda text: echo(text, 150))
    return Message(f"{title}: {lines[0]}", (HeaderBlock(text=title), *_sections(lines)))


def post(client: WebClient, channel: str, data: report.GapReport) -> None:
    client.chat_postMessage(channel=channel, **digest(data).as_kwargs())
