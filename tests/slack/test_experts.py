"""Ask an expert and the 👎 gap record, through signed HTTP requests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.slack import blocks
from bot.slack import experts as experts_module
from tests.slack.conftest import RunningApp, left_by_a_dead_process
from tests.support.fake_slack import BOT_USER_ID, Call, FakeSlack, dm_of
from tests.support.harness import USER, block_action, envelope, mention, message

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
    slack.fake.reset()
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


def test_a_question_about_this_company_offers_the_experts(
    experts: RunningApp,
) -> None:
    """Related reads for a question the knowledge can't know the answer to
    come with the button too, and the click asks the experts."""
    question = "is cybersecurity important for tpms at this company"
    reply, question_ts = _no_match_in_a_thread(experts, question)
    assert "show_entry:skill-cybersecurity" in json.dumps(reply.body["blocks"])
    button = _button(reply, blocks.ASK_EXPERT)
    _click(experts, button["value"], question_ts)
    [post] = experts.fake.wait_delivered("chat.postMessage")
    assert EXPERTS == post.body["channel"]
    assert question in json.dumps(post.body)


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


EXPERT = "U0EXPERT1"


def _ask(slack: RunningApp, text: str, *, named: bool = False) -> tuple[Call, str]:
    """A no-match mention in a thread, then *Ask an expert* (with or without
    the asker's name): the experts' post and the question's thread."""
    reply, question_ts = _no_match_in_a_thread(slack, text)
    action = blocks.ASK_EXPERT_NAMED if named else blocks.ASK_EXPERT
    value = _button(reply, action)["value"]
    slack.fake.reset()
    payload = block_action(
        action,
        value,
        slack.fake.response_url("expert"),
        message_ts="1700000000.000777",
        thread_ts=question_ts,
    )
    assert 200 == slack.send.action(payload).status
    [post] = slack.fake.wait_delivered("chat.postMessage")
    slack.fake.wait_delivered("response_url")
    return post, question_ts


def _post_ts(slack: RunningApp, post: Call) -> str:
    question = slack.store.pending_question_of(USER)
    assert question is not None and question.post_channel == post.body["channel"]
    return question.post_ts


def _expert_says(slack: RunningApp, thread_ts: str, text: str, **extra: Any) -> None:
    event = message(
        text, channel=EXPERTS, channel_type="channel", thread_ts=thread_ts, **extra
    )
    if "user" not in extra:
        event["user"] = EXPERT
    assert 200 == slack.send.event(envelope(event)).status


def _until_handled(slack: RunningApp, timeout: float = 10.0) -> None:
    """Wait until the outbox holds no request: every one was worked on."""
    deadline = time.monotonic() + timeout
    while slack.store.backlog()[0]:
        assert time.monotonic() < deadline, "requests still in the outbox"
        time.sleep(0.02)


def test_the_asker_is_mentioned_only_if_they_chose_to_be(experts: RunningApp) -> None:
    """*Ask an expert* keeps the asker out of the post; *…, mention me* names them."""
    anonymous, _ = _ask(experts, "xyzzy plugh one")
    assert USER not in json.dumps(anonymous.body)
    assert anonymous.body["blocks"][0]["text"]["verbatim"] is True  # typed, shown so
    assert f"<@{USER}>" not in anonymous.body["text"]
    pending = experts.store.pending_question_of(USER)
    assert pending is not None
    experts.store.mark_answered(pending.id, EXPERT)
    named, _ = _ask(experts, "xyzzy plugh two", named=True)
    assert f"Asked by <@{USER}>" in json.dumps(named.body["blocks"])
    assert f"<@{USER}>" in named.body["text"]


def test_the_first_expert_reply_reaches_the_asker_s_thread_once(
    experts: RunningApp,
) -> None:
    """A bot's message is skipped; the first person's reply is posted in the
    asker's thread, inert; a second reply and a retried event post nothing."""
    post, question_ts = _ask(experts, "xyzzy plugh frobnicate")
    post_ts = _post_ts(experts, post)
    experts.fake.reset()
    _expert_says(
        experts, post_ts, "I am a bot", bot_id="B0OTHER", subtype="bot_message"
    )
    first = message(
        "Use the *staging* runbook &lt;!here&gt;",
        channel=EXPERTS,
        channel_type="channel",
        thread_ts=post_ts,
        user=EXPERT,
    )
    experts.send.event(envelope(first, "EvFirst"))
    [relayed] = experts.fake.wait_delivered("chat.postMessage")
    assert ("C0CHAN01", question_ts) == (
        relayed.body["channel"],
        relayed.body["thread_ts"],
    )
    assert "An expert answered your question" in relayed.text
    assert "Use the *staging* runbook" in relayed.text
    assert "<!here>" not in relayed.text and "I am a bot" not in relayed.text
    experts.send.event(envelope(first, "EvFirst"), retry=1)
    _expert_says(experts, post_ts, "and another thing")
    experts.drain()
    assert 1 == len(experts.fake.delivered("chat.postMessage"))


def test_a_long_reply_of_many_lines_reaches_the_asker_whole(
    experts: RunningApp,
) -> None:
    """A pasted checklist (hundreds of short lines, each quoted) comes in
    sections within Slack's 3,000 characters, every line there."""
    post, _ = _ask(experts, "xyzzy plugh &amp; checklist " * 8)
    experts.fake.reset()
    lines = [f"- s{n}" for n in range(370)]  # under the 2,500 a reply keeps
    assert len("\n".join(lines)) < experts_module.REPLY_CHARS
    _expert_says(experts, _post_ts(experts, post), "\n".join(lines))
    [relayed] = experts.fake.wait_delivered("chat.postMessage")
    texts = [
        b["text"]["text"] for b in relayed.body["blocks"] if b["type"] == "section"
    ]
    assert len(texts) > 1 and all(len(t) <= 3000 for t in texts)
    sections = [b for b in relayed.body["blocks"] if b["type"] == "section"]
    assert all(b["text"]["verbatim"] is True for b in sections)  # no auto-links
    assert [f">{line}" for line in lines] == "\n".join(texts).splitlines()[1:]


@pytest.mark.parametrize(
    "failure",
    [{"reset": True}, {"status": 500, "error": "internal_error"}, {"cut": True}],
    ids=["reset", "500", "answer-cut-short"],
)
def test_a_relay_slack_posted_but_answered_with_a_failure_is_posted_once(
    experts: RunningApp, failure: dict[str, Any]
) -> None:
    """Slack posts the relay in the asker's thread and then drops the
    connection, answers 500, or its answer stops half-way: no second post,
    and the next expert reply is not relayed either (the claim is kept)."""
    post, question_ts = _ask(experts, "xyzzy plugh lost answer")
    post_ts = _post_ts(experts, post)
    experts.fake.reset()
    experts.fake.fail_next("chat.postMessage", after_delivery=True, **failure)
    _expert_says(experts, post_ts, "Ask the release team")
    experts.fake.wait_delivered("chat.postMessage")
    _until_handled(experts)
    _expert_says(experts, post_ts, "or the on-call lead")
    experts.drain()
    [relayed] = experts.fake.delivered("chat.postMessage")
    assert ("C0CHAN01", question_ts) == (
        relayed.body["channel"],
        relayed.body["thread_ts"],
    )
    assert "Ask the release team" in relayed.text


@pytest.mark.parametrize("delivered", [True, False], ids=["posted", "not-posted"])
def test_a_dm_relay_whose_answer_is_lost_is_posted_once(
    experts: RunningApp, delivered: bool
) -> None:
    """A private question's asker is known by user id only: after a reset,
    before or after Slack posted the DM, the bot opens that DM and looks
    for the relay there, posting it again only if it is missing."""
    value = blocks.ExpertValue("xyzzy plugh private reset").encode()
    _click(experts, value, "", ephemeral=True)
    experts.fake.wait_delivered("response_url")
    question = experts.store.pending_question_of(USER)
    assert question is not None
    experts.fake.reset()
    experts.fake.fail_next("chat.postMessage", reset=True, after_delivery=delivered)
    _expert_says(experts, question.post_ts, "See the wiki page")
    experts.fake.wait_delivered("chat.postMessage")
    experts.drain()
    [relay] = experts.fake.delivered("chat.postMessage")
    assert USER == relay.body["channel"] and "See the wiki page" in relay.text
    [look] = experts.fake.delivered("conversations.history")
    assert dm_of(USER) == look.body["channel"]


@pytest.mark.parametrize("posted", [True, False], ids=["posted", "not-posted"])
def test_a_relay_taken_up_after_a_crash_is_posted_once(
    experts: RunningApp, posted: bool
) -> None:
    """A process claimed the expert's reply and died, having relayed it or
    not: the request taken up again looks for the relay and posts it only
    if it isn't there."""
    post, question_ts = _ask(experts, "xyzzy plugh crash")
    post_ts = _post_ts(experts, post)
    reply = message(
        "Ask the release team",
        channel=EXPERTS,
        channel_type="channel",
        thread_ts=post_ts,
        user=EXPERT,
    )
    experts.fake.reset()
    if posted:
        experts.send.event(envelope(reply, "EvFirst"))
        experts.fake.wait_delivered("chat.postMessage")
    else:
        question = experts.store.pending_question_of(USER)
        assert question is not None
        assert experts.store.claim_reply(question.id, reply["text"])
    assert 1 == left_by_a_dead_process(experts, reply).resume(experts.app)
    experts.drain()
    relays = experts.fake.delivered("chat.postMessage")
    assert [("C0CHAN01", question_ts)] == [
        (c.body["channel"], c.body["thread_ts"]) for c in relays
    ]
    assert experts.fake.delivered("conversations.replies")


@pytest.mark.parametrize("im_write", [True, False], ids=["im-write", "no-im-write"])
def test_a_private_relay_taken_up_after_a_crash_is_not_posted_again(
    experts: RunningApp, im_write: bool
) -> None:
    """A private question's reply was relayed by DM (known by user id only)
    and its process died before finishing: taken up again, the bot opens
    that DM, finds the relay and posts no second copy. An app without
    `im:write` can't look there: no second copy either, one warning line."""
    value = blocks.ExpertValue("xyzzy plugh private crash").encode()
    _click(experts, value, "", ephemeral=True)
    experts.fake.wait_delivered("response_url")
    question = experts.store.pending_question_of(USER)
    assert question is not None
    experts.fake.reset()
    reply = message(
        "See the wiki page",
        channel=EXPERTS,
        channel_type="channel",
        thread_ts=question.post_ts,
        user=EXPERT,
    )
    experts.send.event(envelope(reply, "EvFirst"))
    experts.fake.wait_delivered("chat.postMessage")
    experts.drain()
    experts.fake.im_write = im_write
    with capture_logs() as logs:
        assert 1 == left_by_a_dead_process(experts, reply).resume(experts.app)
        experts.drain()
    dms = [c.body["channel"] for c in experts.fake.delivered("chat.postMessage")]
    assert [USER] == dms
    unknown = [e["event"] for e in logs if e["event"] == "experts.dm_unknown"]
    assert ([] if im_write else ["experts.dm_unknown"]) == unknown
    looked = [
        c.body["channel"] for c in experts.fake.delivered("conversations.history")
    ]
    assert ([dm_of(USER)] if im_write else []) == looked


def test_a_relay_slack_never_got_is_sent_with_the_next_reply(
    experts: RunningApp, start_app: Callable[..., RunningApp]
) -> None:
    """The expert's reply reaches a replica whose Slack is gone (connection
    refused: surely not relayed): its claim is let go, and the expert's next
    reply, on a replica that reaches Slack, is relayed to the asker."""
    post, question_ts = _ask(experts, "xyzzy plugh away")
    post_ts = _post_ts(experts, post)
    gone = FakeSlack().start()
    away = start_app(
        store=experts.store, SLACK_API_BASE_URL=gone.api_url, experts_channel=EXPERTS
    )
    gone.stop()
    experts.fake.reset()
    first = message(
        "Ask the release team",
        channel=EXPERTS,
        channel_type="channel",
        thread_ts=post_ts,
        user=EXPERT,
    )
    away.send.event(envelope(first, "EvAway"))
    away.drain()
    assert [] == experts.fake.delivered("chat.postMessage")
    _expert_says(experts, post_ts, "Ask the release team, channel #release")
    [relayed] = experts.fake.wait_delivered("chat.postMessage")
    assert ("C0CHAN01", question_ts) == (
        relayed.body["channel"],
        relayed.body["thread_ts"],
    )
    assert "#release" in relayed.text


def test_two_replicas_and_a_restart_relay_one_reply(
    start_app: Callable[..., RunningApp],
) -> None:
    """Two replies sent at once to two apps on one database: one relay; an
    app started afterwards relays nothing more."""
    first = start_app(experts_channel=EXPERTS)
    second = start_app(experts_channel=EXPERTS)
    post, _ = _ask(first, "xyzzy plugh replicas")
    post_ts = _post_ts(first, post)
    first.fake.reset()
    threads = [
        threading.Thread(target=_expert_says, args=(app, post_ts, f"answer {n}"))
        for n, app in enumerate((first, second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.fake.wait_delivered("chat.postMessage")
    first.drain()
    second.drain()
    third = start_app(experts_channel=EXPERTS)
    _expert_says(third, post_ts, "answer after a restart")
    third.drain()
    assert 1 == len(first.fake.delivered("chat.postMessage"))


def test_a_reply_goes_by_dm_when_the_thread_is_closed_to_the_bot(
    experts: RunningApp,
) -> None:
    """not_in_channel in the asker's thread: the reply comes in a DM."""
    post, _ = _ask(experts, "xyzzy plugh removed")
    post_ts = _post_ts(experts, post)
    experts.fake.reset()
    experts.fake.fail_channel("C0CHAN01")
    _expert_says(experts, post_ts, "Ask the release team")
    [dm] = experts.fake.wait_delivered("chat.postMessage")
    assert USER == dm.body["channel"]
    assert "Ask the release team" in dm.text


def test_a_private_question_s_reply_comes_by_dm(experts: RunningApp) -> None:
    """Asked from a /stpm answer only the asker saw: the reply is a DM."""
    value = blocks.ExpertValue("xyzzy plugh private").encode()
    _click(experts, value, "", ephemeral=True)
    experts.fake.wait_delivered("response_url")  # the last step: posted
    question = experts.store.pending_question_of(USER)
    assert question is not None
    experts.fake.reset()
    _expert_says(experts, question.post_ts, "See the wiki page")
    [dm] = experts.fake.wait_delivered("chat.postMessage")
    assert (USER, None) == (dm.body["channel"], dm.body.get("thread_ts"))


def test_answered_updates_the_post_and_tells_the_asker(experts: RunningApp) -> None:
    """*Answered*: the post says who answered and loses the button, the asker
    hears of it; a second click says it was already answered."""
    post, question_ts = _ask(experts, "xyzzy plugh answered")
    post_ts = _post_ts(experts, post)
    answered = _button(post, blocks.EXPERT_ANSWERED)
    assert "Add to knowledge" == _button(post, blocks.TEACH_EXPERT)["text"]["text"]
    experts.fake.reset()

    def click(url: str) -> dict[str, Any]:
        """A click of *Answered* of its own (trigger_id, action_ts)."""
        clicked = block_action(
            blocks.EXPERT_ANSWERED,
            answered["value"],
            experts.fake.response_url(url),
            channel=EXPERTS,
            message_ts=post_ts,
            thread_ts=None,
            user=EXPERT,
        )
        clicked["message"]["blocks"] = post.body["blocks"]
        return clicked

    experts.send.action(click("answered"))
    [update] = experts.fake.wait_delivered("chat.update")
    [told] = experts.fake.wait_delivered("chat.postMessage")
    assert (EXPERTS, post_ts) == (update.body["channel"], update.body["ts"])
    shown = json.dumps(update.body["blocks"])
    assert f"Answered by <@{EXPERT}>" in shown
    assert blocks.EXPERT_ANSWERED not in shown
    assert answered["value"] == _button(update, blocks.TEACH_EXPERT)["value"]
    assert "A question for the experts" in shown
    assert ("C0CHAN01", question_ts) == (told.body["channel"], told.body["thread_ts"])
    assert "marked your question" in told.text
    assert experts.store.pending_question_of(USER) is None
    experts.fake.reset()
    experts.send.action(click("again"))
    [again] = experts.fake.wait_delivered("response_url")
    assert f"already marked answered by <@{EXPERT}>" in again.body["text"]
    assert [] == experts.fake.delivered("chat.update")


def test_answered_taken_up_after_a_crash_finishes_once(experts: RunningApp) -> None:
    """The click closed the question and its process died: taken up again,
    it updates the post and tells the asker (once, looked for first)
    instead of saying the question was already answered."""
    post, question_ts = _ask(experts, "xyzzy plugh answered crash")
    post_ts = _post_ts(experts, post)
    question = experts.store.pending_question_of(USER)
    assert question is not None
    clicked = block_action(
        blocks.EXPERT_ANSWERED,
        _button(post, blocks.EXPERT_ANSWERED)["value"],
        experts.fake.response_url("answered"),
        channel=EXPERTS,
        message_ts=post_ts,
        thread_ts=None,
        user=EXPERT,
    )
    clicked["message"]["blocks"] = post.body["blocks"]
    assert experts.store.mark_answered(question.id, EXPERT) is not None
    experts.fake.reset()
    assert 1 == left_by_a_dead_process(experts, clicked).resume(experts.app)
    experts.drain()
    [updated] = experts.fake.delivered("chat.update")
    assert f"Answered by <@{EXPERT}>" in json.dumps(updated.body["blocks"])
    [told] = experts.fake.delivered("chat.postMessage")
    assert ("C0CHAN01", question_ts) == (told.body["channel"], told.body["thread_ts"])
    assert "marked your question" in told.text
    assert [] == experts.fake.delivered("response_url")
    assert experts.fake.delivered("conversations.replies")


def test_one_pending_question_per_person(experts: RunningApp) -> None:
    """A second question while one is pending gets a private note linking to
    the first; once that is answered, the next one goes to the experts."""
    first, _ = _ask(experts, "xyzzy plugh first")
    post_ts = _post_ts(experts, first)
    reply, question_ts = _no_match_in_a_thread(experts, "xyzzy plugh second")
    value = _button(reply, blocks.ASK_EXPERT)["value"]
    _click(experts, value, question_ts)
    [note] = experts.fake.wait_delivered("response_url")  # the work's last step
    assert [] == experts.fake.delivered("chat.postMessage")
    assert "still have" in note.body["text"]
    assert f"/archives/{EXPERTS}/p{post_ts.replace('.', '')}" in note.body["text"]
    question = experts.store.pending_question_of(USER)
    assert question is not None
    experts.store.mark_answered(question.id, EXPERT)
    _click(experts, value, question_ts)
    [post] = experts.fake.wait_delivered("chat.postMessage")
    assert "xyzzy plugh second" in post.text


def test_the_asker_adding_to_their_question_is_not_relayed_as_the_answer(
    experts: RunningApp,
) -> None:
    """The asker follows the replies in the experts' thread and adds detail
    there: that is not an expert's answer; the expert's reply after it is."""
    post, question_ts = _ask(experts, "xyzzy plugh who signs vendor contracts")
    post_ts = _post_ts(experts, post)
    experts.fake.reset()
    _expert_says(experts, post_ts, "To add: it's a contract over $50k", user=USER)
    _until_handled(experts)
    _expert_says(experts, post_ts, "Procurement signs those; open a ticket")
    [relayed] = experts.fake.wait_delivered("chat.postMessage")
    experts.drain()
    assert ("C0CHAN01", question_ts) == (
        relayed.body["channel"],
        relayed.body["thread_ts"],
    )
    assert "Procurement signs those" in relayed.text
    assert 1 == len(experts.fake.delivered("chat.postMessage"))


def test_a_reply_that_mentions_the_bot_is_relayed_not_answered(
    experts: RunningApp,
) -> None:
    """An expert who @mentions the bot in the question's thread is talking
    about the question: Slack sends both a mention and a message; the bot
    answers neither in the experts' channel, and the relay leaves the
    mention out."""
    post, question_ts = _ask(experts, "xyzzy plugh mention")
    post_ts = _post_ts(experts, post)
    experts.fake.reset()
    said = mention(
        "you could check the wiki for cybersecurity", channel=EXPERTS, thread_ts=post_ts
    )
    said["user"] = EXPERT
    experts.send.event(envelope(said))
    experts.send.event(envelope(dict(said, type="message", channel_type="channel")))
    [relayed] = experts.fake.wait_delivered("chat.postMessage")
    _until_handled(experts)
    experts.drain()
    assert [("C0CHAN01", question_ts)] == [
        (c.body["channel"], c.body.get("thread_ts"))
        for c in experts.fake.delivered("chat.postMessage")
    ]
    assert "you could check the wiki for cybersecurity" in relayed.text
    assert BOT_USER_ID not in json.dumps(relayed.body)


def test_two_people_asking_the_same_question_privately_are_both_answered(
    experts: RunningApp,
) -> None:
    """The same /stpm question sent to the experts by two people in one
    channel: each reply goes by DM, so each is a question of its own."""
    value = blocks.ExpertValue("xyzzy plugh who approves budgets").encode()
    for user in ("U0ANNA01", "U0BOBB01"):
        _click(experts, value, "", ephemeral=True, user=user)
        [told] = experts.fake.wait_delivered("response_url")
        assert "Thanks! I asked the experts" in told.body["text"]
    posts = {}
    for user in ("U0ANNA01", "U0BOBB01"):
        question = experts.store.pending_question_of(user)
        assert question is not None
        posts[user] = question.post_ts
    assert posts["U0ANNA01"] != posts["U0BOBB01"]
    experts.fake.reset()
    _expert_says(experts, posts["U0BOBB01"], "Finance approves budgets")
    [dm] = experts.fake.wait_delivered("chat.postMessage")
    assert "U0BOBB01" == dm.body["channel"]
