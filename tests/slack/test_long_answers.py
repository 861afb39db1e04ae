"""A 4,000-character answer with 30 related entries, end to end: asked with a
mention over HTTP, posted whole within Slack's limits, and one of the related
entries opened from the "more…" menu."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.compose import Core, retriever_config
from bot.knowledge.models import Entry, Knowledge
from bot.search.library import Library
from bot.search.retriever import Retriever
from bot.slack import blocks
from tests.slack.conftest import RunningApp
from tests.support.harness import block_action, envelope, mention

LINES = [
    f"• Step {i}: read <https://example.com/{i}|the playbook {i}> &amp; apply it"
    for i in range(80)
]
QUESTION = "what is the long escalation playbook"


@pytest.fixture
def long(start_app: Callable[..., RunningApp], slack_core: Core) -> RunningApp:
    related = [
        Entry(id=f"step-{n}", title=f"Escalation step {n}", answer=f"Step {n}.")
        for n in range(30)
    ]
    entry = Entry(
        id="playbook",
        title="The long escalation playbook",
        answer="\n".join(LINES),
        questions=(QUESTION,),
        related=tuple(e.id for e in related),
    )
    knowledge = Knowledge.of([entry, *related])
    config = retriever_config(slack_core.settings)
    library = Library(knowledge, lambda loaded: Retriever(loaded, config))
    return start_app(library=library, semantic=False)


def _within_slack_limits(body: dict[str, Any]) -> list[dict[str, Any]]:
    rendered: list[dict[str, Any]] = body["blocks"]
    assert len(rendered) <= 50
    for block in rendered:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
    return rendered


def test_a_4000_character_answer_with_30_related_entries_arrives_whole(
    long: RunningApp,
) -> None:
    """Every line in sections under 3,000 characters, no link cut; five related
    buttons and a menu with the other 25; the notification text has it all;
    choosing from the menu posts that entry in the thread."""
    event = mention(QUESTION)
    assert 200 == long.send.event(envelope(event)).status
    [post] = long.fake.wait_delivered("chat.postMessage")
    rendered = _within_slack_limits(post.body)
    sections = [b["text"]["text"] for b in rendered if b["type"] == "section"]
    shown = "\n".join(sections)
    assert all(line in shown for line in LINES)
    assert all(s.count("<") == s.count(">") for s in sections)
    [row] = [b for b in rendered if blocks.SHOW_ENTRY in json.dumps(b)]
    buttons = [e for e in row["elements"] if e["type"] == "button"]
    [menu] = [e for e in row["elements"] if e["type"] == "static_select"]
    assert [f"step-{n}" for n in range(5)] == [b["value"] for b in buttons]
    assert [f"step-{n}" for n in range(5, 30)] == [o["value"] for o in menu["options"]]
    assert "Step 79: read the playbook 79 (https://example.com/79)" in post.body["text"]
    assert "Escalation step 29" in post.body["text"]

    choice = block_action(
        menu["action_id"],
        "",
        long.fake.response_url("menu"),
        message_ts=post.body.get("ts", event["ts"]),
        thread_ts=event["ts"],
    )
    action = choice["actions"][0]
    action.pop("value")
    action |= {
        "type": "static_select",
        "selected_option": {
            "text": {"type": "plain_text", "text": "Escalation step 17"},
            "value": "step-17",
        },
    }
    long.send.action(choice)
    [opened] = long.fake.wait_delivered("response_url")
    assert "Escalation step 17" in opened.text
    assert event["ts"] == opened.body.get("thread_ts")
