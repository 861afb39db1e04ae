"""Ask an expert and the 👎 gap record, through signed HTTP requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.slack import blocks
from tests.slack.conftest import RunningApp
from tests.support.fake_slack import Call
from tests.support.harness import block_action, envelope, mention

EXPERTS = "C0EXPERTS"
# What Slack sends when someone *types* <!here> and <@U0BOSS>: escaped text.
PINGY = "xyzzy plugh &lt;!here&gt; &lt;@U0BOSS&gt; &lt;!subteam^S1&gt;"


@pytest.fixture
def experts(start_app: Callable[..., RunningApp]) -> RunningApp:
    return start_app(experts_channel=EXPERTS)


def _button(call: Call, action_id: str) -> dict[str, Any]:
    return next(
        element
        for block in call.body["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    )


def _no_match_in_a_thread(slack: RunningApp, text: str) -> tuple[Call, str]:
    event = mention(text)
    slack.send.event(envelope(event))
    [reply] = slack.fake.wait_delivered("chat.postMessage")
    return reply, event["ts"]


def _click(slack: RunningApp, value: str, thread_ts: str, **kw: Any) -> None:
    slack.fake.reset()
    payload = block_action(
        blocks.ASK_EXPERT,
        value,
        slack.fake.response_url("expert"),
        message_ts="1700000000.000777",
        thread_ts=thread_ts,
        **kw,
    )
    assert 200 == slack.send.action(payload).status


def test_no_match_offers_the_experts_and_the_click_asks_them(
    experts: RunningApp,
) -> None:
    """The button posts the question, inert, with a link to the thread."""
    reply, question_ts = _no_match_in_a_thread(experts, PINGY)
    button = _button(reply, blocks.ASK_EXPERT)
    assert "Ask an expert" == button["text"]["text"]
    _click(experts, button["value"], question_ts)
    [post] = experts.fake.wait_delivered("chat.postMessage")
    [told] = experts.fake.wait_delivered("response_url")
    [link, _mine] = experts.fake.delivered("chat.getPermalink")
    assert EXPERTS == post.body["channel"]
    assert (reply.body["channel"], question_ts) == (
        link.body["channel"],
        link.body["message_ts"],
    )
    shown = json.dumps(post.body)
    assert "Open the conversation" in shown and "/archives/C0CHAN01/p" in shown
    for ping in ("<!here>", "<@U0BOSS>", "<!subteam^S1>"):
        assert ping not in shown
    assert "&lt;!here&gt;" in shown  # shown literally, as typed
    assert told.body["text"].startswith(f"Thanks! I asked the experts in <#{EXPERTS}>")
    assert "ephemeral" == told.body["response_type"]


def test_asking_twice_posts_once(experts: RunningApp) -> None:
    """A second click on the same question says it's already with the experts."""
    reply, question_ts = _no_match_in_a_thread(experts, "xyzzy plugh frobnicate")
    value = _button(reply, blocks.ASK_EXPERT)["value"]
    _click(experts, value, question_ts)
    experts.fake.wait_delivered("response_url")
    _click(experts, value, question_ts)
    [told] = experts.fake.wait_delivered("response_url")
    assert "already with the experts" in told.body["text"]
    assert [] == experts.fake.delivered("chat.postMessage")


def test_without_an_experts_channel_there_is_no_button(slack: RunningApp) -> None:
    """STPM_BOT_EXPERTS_CHANNEL unset: the no-match reply offers no experts."""
    reply, _ = _no_match_in_a_thread(slack, "xyzzy plugh frobnicate")
    assert blocks.ASK_EXPERT not in json.dumps(reply.body["blocks"])


def test_thumbs_down_is_recorded_and_offers_the_experts(experts: RunningApp) -> None:
    """👎: a gap with the question's best candidates; thanks with the button."""
    question = "is cloud computing important for an stpm?"
    vote = blocks.VoteValue("skill-cloud", question).encode()
    payload = block_action(
        blocks.VOTE_DOWN, vote, experts.fake.response_url(), thread_ts="1699.1"
    )
    experts.send.action(payload)
    [thanks] = experts.fake.wait_delivered("response_url")
    assert "ephemeral" == thanks.body["response_type"]
    [gap] = experts.store.gaps()
    assert ("downvote", "skill-cloud", question) == (
        gap.source,
        gap.entry_id,
        gap.question,
    )
    assert "skill-cloud" == gap.candidates[0].entry_id
    value = _button(thanks, blocks.ASK_EXPERT)["value"]
    _click(experts, value, "1699.1")
    [post] = experts.fake.wait_delivered("chat.postMessage")
    assert "was marked not helpful" in json.dumps(post.body)


def test_a_private_no_match_asks_without_a_link(experts: RunningApp) -> None:
    """From a /stpm answer only the asker saw: "Asked privately", no permalink."""
    value = blocks.ExpertValue("xyzzy plugh").encode()
    _click(experts, value, "", ephemeral=True)
    [post] = experts.fake.wait_delivered("chat.postMessage")
    experts.fake.wait_delivered("response_url")
    assert "Asked privately" in json.dumps(post.body)
    assert [EXPERTS] == [
        c.body["channel"] for c in experts.fake.delivered("chat.getPermalink")
    ]


def test_if_the_experts_channel_refuses_the_asker_can_try_again(
    experts: RunningApp,
) -> None:
    """not_in_channel there: an apology; after inviting the bot, a retry works."""
    value = blocks.ExpertValue("xyzzy plugh").encode()
    experts.fake.fail_next("chat.postMessage", error="not_in_channel")
    payload = block_action(
        blocks.ASK_EXPERT, value, experts.fake.response_url(), ephemeral=True
    )
    experts.send.action(payload)
    [sorry] = experts.fake.wait_delivered("response_url")
    assert sorry.body["text"].startswith("Sorry, something went wrong")
    _click(experts, value, "", ephemeral=True)
    [post] = experts.fake.wait_delivered("chat.postMessage")
    assert EXPERTS == post.body["channel"]
