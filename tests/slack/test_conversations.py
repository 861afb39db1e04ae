"""Mentions, direct messages and thread follow-ups, end to end over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.search.retriever import Retriever
from bot.slack import blocks, errors
from tests.slack.conftest import RunningApp
from tests.support.fake_slack import BOT_ID, BOT_USER_ID
from tests.support.harness import block_action, envelope, mention, message

CYBER = "how important is cybersecurity for an stpm"


def _blocks_text(call_body: dict[str, object]) -> str:
    import json

    return json.dumps(call_body.get("blocks", []))


def test_mention_is_answered_in_its_thread_with_the_right_entry(
    slack: RunningApp,
) -> None:
    """A mention gets the matching entry as a reply in the mention's thread."""
    event = mention(CYBER)
    assert 200 == slack.send.event(envelope(event)).status
    [post] = slack.fake.wait_delivered("chat.postMessage")
    assert event["channel"] == post.body["channel"]
    assert event["ts"] == post.body["thread_ts"]
    assert "feedback:skill-cybersecurity" in _blocks_text(post.body)
    assert post.body["text"].startswith("Cybersecurity")


def test_mention_inside_a_thread_is_answered_in_that_thread(slack: RunningApp) -> None:
    """A mention in an existing thread replies to the thread's parent."""
    event = mention(CYBER, thread_ts="1690000000.000100")
    slack.send.event(envelope(event))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    assert "1690000000.000100" == post.body["thread_ts"]


def test_direct_message_is_answered(slack: RunningApp) -> None:
    """A DM gets the answer in the DM, not in a thread."""
    event = message(CYBER)
    slack.send.event(envelope(event))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    assert "D0DM0001" == post.body["channel"]
    assert post.body.get("thread_ts") is None
    assert "feedback:" in _blocks_text(post.body)


def test_thanks_in_a_dm_gets_a_word_back(slack: RunningApp) -> None:
    """ "thanks!", "bye" or "that's wrong" in a DM is answered in a line, not
    "no answer" nor a "did you mean", and is no knowledge gap for the
    curators."""
    for said, expected in (
        ("thanks, that helps!", "You're welcome"),
        ("bye", "Bye!"),
        ("that's wrong", "Sorry that didn't help."),
    ):
        slack.send.event(envelope(message(said)))
        [post] = slack.fake.wait_delivered("chat.postMessage")
        assert expected in post.body["text"]
        assert "feedback:" not in _blocks_text(post.body)
        slack.fake.calls.clear()
    assert [] == slack.store.gaps()


def wait_until_answered(slack: RunningApp, first: dict[str, Any]) -> None:
    """The thread and its topic are remembered just after Slack accepts the post."""
    deadline = time.monotonic() + 5
    while slack.store.topic_of(first["channel"], first["ts"]) is None:
        assert time.monotonic() < deadline, "the answered thread was not stored"
        time.sleep(0.01)


def test_follow_up_in_an_answered_thread_needs_no_mention(slack: RunningApp) -> None:
    """After the bot answered in a thread, a plain reply there is answered too."""
    first = mention(CYBER)
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    wait_until_answered(slack, first)
    follow_up = message(
        "and how important is cloud computing?",
        channel=first["channel"],
        channel_type="channel",
        thread_ts=first["ts"],
    )
    slack.send.event(envelope(follow_up))
    posts = slack.fake.wait_delivered("chat.postMessage", count=2)
    assert first["ts"] == posts[1].body["thread_ts"]
    assert "feedback:skill-cloud" in _blocks_text(posts[1].body)


def test_chatter_in_an_answered_thread_gets_no_reply(slack: RunningApp) -> None:
    """'thanks!' or 'see above' in a thread the bot answered: the bot stays quiet."""
    first = mention(CYBER)
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    wait_until_answered(slack, first)
    for text in ("thanks!", "ok", "lol see above", "wifi password?"):
        chatter = message(
            text,
            channel=first["channel"],
            channel_type="channel",
            thread_ts=first["ts"],
        )
        slack.send.event(envelope(chatter))
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    assert [] == slack.fake.delivered("chat.postEphemeral")  # no crash, no apology


def test_a_question_in_the_thread_to_someone_else_gets_no_reply(
    slack: RunningApp,
) -> None:
    """The asker asks a colleague in the thread the bot answered (mentioning
    them, a group or the channel): that question is theirs, not the bot's."""
    first = mention(CYBER)
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    wait_until_answered(slack, first)
    for text in (
        "<@U0BOBB01> how important is cloud computing for your team?",
        "<!subteam^S0TPMS|tpms> what do you think, is cloud important?",
        "<!here> how important is cloud computing?",
    ):
        to_others = message(
            text,
            channel=first["channel"],
            channel_type="channel",
            thread_ts=first["ts"],
        )
        slack.send.event(envelope(to_others))
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))


def test_follow_ups_survive_a_restart(
    start_app: Callable[..., RunningApp],
) -> None:
    """Answered threads are stored, so a restarted app still follows them."""
    before = start_app()
    first = mention(CYBER)
    before.send.event(envelope(first))
    before.fake.wait_delivered("chat.postMessage")
    wait_until_answered(before, first)
    before.server.stop()
    after = start_app(store=before.store)
    follow_up = message(
        "what about cloud computing?",
        channel=first["channel"],
        channel_type="channel",
        thread_ts=first["ts"],
    )
    after.send.event(envelope(follow_up))
    posts = after.fake.wait_delivered("chat.postMessage", count=2)
    assert first["ts"] == posts[1].body["thread_ts"]


def test_channel_messages_outside_answered_threads_are_ignored(
    slack: RunningApp,
) -> None:
    """Ordinary channel chatter, even in other threads, gets no reply."""
    slack.send.event(
        envelope(message(CYBER, channel="C0CHAN01", channel_type="channel"))
    )
    slack.send.event(
        envelope(
            message(CYBER, channel="C0CHAN01", channel_type="channel", thread_ts="1.2")
        )
    )
    slack.drain()
    assert [] == slack.fake.delivered("chat.postMessage")


def test_a_mention_in_an_answered_thread_is_answered_once(slack: RunningApp) -> None:
    """The same message arriving as app_mention and as message.channels: one reply."""
    first = mention(CYBER)
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    again = mention("what about cloud computing?", thread_ts=first["ts"])
    as_message = dict(again, type="message", channel_type="channel")
    slack.send.event(envelope(as_message))
    slack.send.event(envelope(again))
    slack.drain()
    assert 2 == len(slack.fake.delivered("chat.postMessage"))


def test_bots_edits_and_subtypes_get_no_reply(slack: RunningApp) -> None:
    """Other bots, the bot itself, edits and deletions never trigger a reply."""
    events = [
        message(CYBER, bot_id="B0OTHER1", subtype="bot_message"),
        message(CYBER, user=BOT_USER_ID, bot_id=BOT_ID),
        message(CYBER, subtype="message_changed"),
        message(CYBER, subtype="message_deleted"),
        message(CYBER, edited={"user": "U0USER01", "ts": "1.1"}),
        dict(mention(CYBER), bot_id="B0OTHER1"),
    ]
    for event in events:
        assert 200 == slack.send.event(envelope(event)).status
    slack.drain()
    assert [] == slack.fake.delivered("chat.postMessage")


def test_the_same_event_retried_three_times_is_answered_once(slack: RunningApp) -> None:
    """Slack's retries (X-Slack-Retry-Num) of one event_id produce one reply."""
    body = envelope(mention(CYBER))
    statuses = [slack.send.event(body, retry=n).status for n in (None, 1, 2)]
    slack.drain()
    assert [200, 200, 200] == statuses
    assert 1 == len(slack.fake.delivered("chat.postMessage"))


def test_greetings_and_empty_mentions_get_the_introduction(slack: RunningApp) -> None:
    """ "help", "hi" and a bare mention are answered with the introduction."""
    for text in ("help", "hi", ""):
        slack.send.event(envelope(mention(text)))
    posts = slack.fake.wait_delivered("chat.postMessage", count=3)
    assert all("/stpm" in p.body["text"] for p in posts)


def test_broadcast_mentions_in_a_question_do_not_ping(slack: RunningApp) -> None:
    """`<!channel>`, `<!here>`, user and group mentions are never echoed live."""
    text = (
        "<!channel> <!here> <!everyone> <@U0OTHER1> <!subteam^S0TEAM01|@leads> "
        "&lt;!channel&gt; wifi password please"
    )
    slack.send.event(envelope(message(text)))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    shown = post.text
    for live in ("<!channel>", "<!here>", "<!everyone>", "<@U0OTHER1>", "<!subteam"):
        assert live not in shown
    assert "&lt;!channel&gt;" in shown  # the literal text the user typed, inert


def test_a_rate_limited_reply_is_retried_and_delivered_once(slack: RunningApp) -> None:
    """Slack answering 429 once: the reply is retried after Retry-After, once."""
    slack.fake.fail_next("chat.postMessage", status=429, retry_after=1)
    slack.send.event(envelope(mention(CYBER)))
    delivered = slack.fake.wait_delivered("chat.postMessage", timeout=10)
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    assert [] == slack.fake.delivered("chat.postEphemeral")  # no crash, no apology
    assert 2 == len([c for c in slack.fake.calls if c.method == "chat.postMessage"])
    assert "feedback:skill-cybersecurity" in _blocks_text(delivered[0].body)


def test_a_slack_error_is_logged_and_answered_politely(slack: RunningApp) -> None:
    """A Slack error while replying gets a polite ephemeral note, no traceback."""
    slack.fake.fail_next("chat.postMessage", error="channel_not_found")
    slack.send.event(envelope(mention(CYBER)))
    [note] = slack.fake.wait_delivered("chat.postEphemeral")
    assert note.body["text"].startswith("Sorry, something went wrong")
    assert "Traceback" not in note.text
    assert note.body.get("thread_ts") is None  # no thread exists to show it in


def wait_for_topic(slack: RunningApp, channel: str, where: str) -> None:
    """What the thread (or DM: "") is about is stored just after the post."""
    deadline = time.monotonic() + 5
    while slack.store.topic_of(channel, where) is None:
        assert time.monotonic() < deadline, "the thread's topic was not stored"
        time.sleep(0.01)


def in_thread(first: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    return message(
        text,
        channel=first["channel"],
        channel_type="channel",
        thread_ts=first["ts"],
        **extra,
    )


def test_other_peoples_messages_in_an_answered_thread_are_theirs(
    slack: RunningApp,
) -> None:
    """Someone else's remark, or even question, in a thread the bot answered
    is not addressed to the bot: no reply, however well it would match."""
    first = mention(CYBER)
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    wait_for_topic(slack, first["channel"], first["ts"])
    for text in (
        "I think stakeholder management is the hard part honestly",
        "the security review is blocking us",
        "how important is cloud computing for an stpm?",
        "tell me more",
    ):
        slack.send.event(envelope(in_thread(first, text, user="U0OTHER1")))
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    assert [] == slack.fake.delivered("chat.postEphemeral")  # no crash, no apology


def test_the_askers_remarks_are_not_answered_either(slack: RunningApp) -> None:
    """The person the bot answered agreeing with someone is not a question."""
    first = mention(CYBER)
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    wait_for_topic(slack, first["channel"], first["ts"])
    for text in (
        "I agree, communication is key",
        "cloud computing skills matter a lot",
    ):
        slack.send.event(envelope(in_thread(first, text)))
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    assert [] == slack.fake.delivered("chat.postEphemeral")  # no crash, no apology


def test_tell_me_more_goes_on_with_the_threads_topic(slack: RunningApp) -> None:
    """ "tell me more", then "why?": each shows another entry on the topic."""
    first = mention(CYBER)
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    wait_for_topic(slack, first["channel"], first["ts"])
    slack.send.event(envelope(in_thread(first, "tell me more")))
    posts = slack.fake.wait_delivered("chat.postMessage", count=2)
    assert first["ts"] == posts[1].body["thread_ts"]
    assert "More on Cybersecurity" in _blocks_text(posts[1].body)
    assert "feedback:skill-cybersecurity" not in _blocks_text(posts[1].body)
    deadline = time.monotonic() + 5
    while len(slack.store.topic_of(first["channel"], first["ts"]).shown) < 2:  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    slack.send.event(envelope(in_thread(first, "why?")))
    posts = slack.fake.wait_delivered("chat.postMessage", count=3)
    assert "More on Cybersecurity" in _blocks_text(posts[2].body)
    assert _feedback_ids(posts[1].body) != _feedback_ids(posts[2].body)


def test_thanks_to_the_bot_in_a_thread_keeps_its_topic(slack: RunningApp) -> None:
    """ "@bot thanks!" in the thread gets a line back; "tell me more" after it
    still goes on with what the thread was about."""
    first = mention(CYBER)
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    wait_for_topic(slack, first["channel"], first["ts"])
    thanks = mention("thanks!", thread_ts=first["ts"], channel=first["channel"])
    slack.send.event(envelope(thanks))
    posts = slack.fake.wait_delivered("chat.postMessage", count=2)
    assert "You're welcome" in posts[1].body["text"]
    slack.send.event(envelope(in_thread(first, "tell me more")))
    posts = slack.fake.wait_delivered("chat.postMessage", count=3)
    assert "More on Cybersecurity" in _blocks_text(posts[2].body)


def test_tell_me_more_with_nothing_answered_says_what_to_do(
    slack: RunningApp,
) -> None:
    """ "@bot tell me more" with no answer before it: one line saying to ask
    a question, not the introduction nor a search for "tell me more"."""
    slack.send.event(envelope(mention("tell me more")))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    assert post.body["text"].startswith(
        "There's no answer here yet to say more about: ask me a question"
    )


def test_an_emoji_alone_in_a_dm_keeps_its_topic(slack: RunningApp) -> None:
    """ ":+1:" after an answer says nothing of the topic: "tell me more"
    still goes on with the answer."""
    slack.send.event(envelope(message(CYBER)))
    slack.fake.wait_delivered("chat.postMessage")
    wait_for_topic(slack, "D0DM0001", "")
    slack.send.event(envelope(message(":+1:")))
    slack.fake.wait_delivered("chat.postMessage", count=2)
    slack.send.event(envelope(message("tell me more")))
    posts = slack.fake.wait_delivered("chat.postMessage", count=3)
    assert "More on Cybersecurity" in _blocks_text(posts[2].body)


def test_an_i_dont_know_in_a_dm_ends_its_topic(slack: RunningApp) -> None:
    """An answer in a DM, then a question it can't answer: "tell me more"
    says there is nothing to go on with, not more on the first answer."""
    slack.send.event(envelope(message(CYBER)))
    slack.fake.wait_delivered("chat.postMessage")
    wait_for_topic(slack, "D0DM0001", "")
    slack.send.event(envelope(message("what is the wifi password")))
    slack.fake.wait_delivered("chat.postMessage", count=2)
    deadline = time.monotonic() + 5
    while getattr(slack.store.topic_of("D0DM0001", ""), "entry_id", "") != "":
        assert time.monotonic() < deadline, "the DM's topic was not reset"
        time.sleep(0.01)
    slack.send.event(envelope(message("tell me more")))
    posts = slack.fake.wait_delivered("chat.postMessage", count=3)
    assert "More on" not in _blocks_text(posts[2].body)
    assert posts[2].body["text"].startswith("I haven't answered anything here yet")


def _feedback_ids(body: dict[str, Any]) -> list[str]:
    return [
        str(b["block_id"])
        for b in body.get("blocks", [])
        if str(b.get("block_id", "")).startswith("feedback:")
    ]


def test_two_tell_me_mores_at_once_show_two_entries(slack: RunningApp) -> None:
    """The first "tell me more" is slow to post (Slack takes a second); a
    second sent meanwhile shows the entry after it, not the same one."""
    first = mention(CYBER)
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    wait_for_topic(slack, first["channel"], first["ts"])
    slack.fake.fail_next("chat.postMessage", delay=1.0, after_delivery=True)
    slack.send.event(envelope(in_thread(first, "tell me more")))
    time.sleep(0.4)
    slack.send.event(envelope(in_thread(first, "tell me more")))
    slack.drain()
    more = slack.fake.delivered("chat.postMessage")[1:]
    assert 2 == len(more)
    assert _feedback_ids(more[0].body) != _feedback_ids(more[1].body)


def test_tell_me_more_in_a_direct_message(slack: RunningApp) -> None:
    """In a DM the whole conversation has a topic, threads or not."""
    first = message(CYBER)
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    wait_for_topic(slack, first["channel"], "")
    slack.send.event(envelope(message("more please")))
    posts = slack.fake.wait_delivered("chat.postMessage", count=2)
    assert "More on Cybersecurity" in _blocks_text(posts[1].body)


def test_a_question_in_two_parts_gets_both_answers(slack: RunningApp) -> None:
    slack.send.event(
        envelope(mention("is cloud important for a tpm, and what about security?"))
    )
    [post] = slack.fake.wait_delivered("chat.postMessage")
    shown = _blocks_text(post.body)
    assert "feedback:skill-cloud" in shown
    assert "*Cybersecurity*" in shown
    assert "Cybersecurity" in post.body["text"]  # the notification has both


def test_the_asker_may_rephrase_after_did_you_mean(slack: RunningApp) -> None:
    """No confident answer in the thread yet: the asker's rephrased question
    there is still answered without a mention."""
    first = mention("xyzzy plugh frobnicate")
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    wait_until_answered(slack, first)
    slack.send.event(envelope(in_thread(first, "how important is cloud computing?")))
    posts = slack.fake.wait_delivered("chat.postMessage", count=2)
    assert "feedback:skill-cloud" in _blocks_text(posts[1].body)


def test_a_file_in_a_dm_gets_a_friendly_note(slack: RunningApp) -> None:
    """A file with no words: a note saying files aren't read; with words,
    the words are answered."""
    files = [{"id": "F0FILE01", "name": "notes.pdf", "mimetype": "application/pdf"}]
    slack.send.event(envelope(message("", subtype="file_share", files=files)))
    slack.send.event(envelope(message(CYBER, subtype="file_share", files=files)))
    posts = slack.fake.wait_delivered("chat.postMessage", count=2)
    texts = sorted(p.body["text"] for p in posts)
    assert texts[0].startswith("Cybersecurity")
    assert texts[1].startswith("I can't read attached files")


def test_stop_answering_here_keeps_the_bot_out_of_the_thread(slack: RunningApp) -> None:
    """A follow-up answer carries *Stop answering here*; once clicked, the
    asker's next question in the thread gets nothing unless it mentions the
    bot, and an answered mention there doesn't undo it."""
    first = mention(CYBER)
    slack.send.event(envelope(first))
    slack.fake.wait_delivered("chat.postMessage")
    wait_until_answered(slack, first)
    slack.send.event(
        envelope(in_thread(first, "and how important is cloud computing?"))
    )
    posts = slack.fake.wait_delivered("chat.postMessage", count=2)
    assert "stop_answering" in _blocks_text(posts[1].body)
    assert "stop_answering" not in _blocks_text(posts[0].body)  # a mention's answer
    deadline = time.monotonic() + 5
    while "skill-cloud" not in getattr(
        slack.store.topic_of(first["channel"], first["ts"]), "entry_id", ""
    ):  # the follow-up's topic is stored just after its post
        assert time.monotonic() < deadline
        time.sleep(0.01)
    click = block_action(
        "stop_answering",
        "stop",
        slack.fake.response_url(),
        channel=first["channel"],
        message_ts="1700000000.000009",
        thread_ts=first["ts"],
    )
    slack.send.action(click)
    [ok] = slack.fake.wait_delivered("response_url")
    assert ok.body["text"].startswith("OK, I'll stay out of this thread")
    slack.send.event(envelope(in_thread(first, "what about data analytics?")))
    slack.send.event(
        envelope(mention("what about data analytics?", thread_ts=first["ts"]))
    )
    posts = slack.fake.wait_delivered("chat.postMessage", count=3)
    deadline = time.monotonic() + 5
    while "skill-data-analytics" not in getattr(
        slack.store.topic_of(first["channel"], first["ts"]), "entry_id", ""
    ):  # the mention's answer moved the topic on
        assert time.monotonic() < deadline
        time.sleep(0.01)
    # Answering the mention doesn't undo the stop: still no follow-ups.
    slack.send.event(envelope(in_thread(first, "and how about networking?")))
    slack.send.event(envelope(in_thread(first, "tell me more")))
    slack.drain()
    assert 3 == len(slack.fake.delivered("chat.postMessage"))  # only the mention


def test_malformed_events_are_dropped_not_crashes(slack: RunningApp) -> None:
    """Signed events whose fields have the wrong type or are missing get a
    200 and no reply, and the app keeps answering."""
    broken = [
        dict(mention(CYBER), text=12345),
        {k: v for k, v in mention(CYBER).items() if k != "ts"},
        dict(message(CYBER), channel=["D0DM0001"]),
        dict(mention(CYBER), thread_ts=1.5),
    ]
    for event in broken:
        assert 200 == slack.send.event(envelope(event)).status
    slack.send.event(envelope(mention(CYBER)))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    assert "feedback:skill-cybersecurity" in _blocks_text(post.body)
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    assert [] == slack.fake.delivered("chat.postEphemeral")  # no crash, no apology


def test_a_mention_that_leaves_the_role_unsaid_is_answered(slack: RunningApp) -> None:
    """In a channel about the role, "how do i stay current?" means a senior
    TPM: answered in the thread as the entry on staying current, with the
    model on as the bot ships."""
    retriever = slack.core.library.snapshot().retriever
    assert "hybrid" == retriever.mode
    event = mention("how do i stay current?")
    slack.send.event(envelope(event))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    assert event["ts"] == post.body["thread_ts"]
    assert post.body["text"].startswith("Stay current with technologies and trends")
    assert "feedback:bp-stay-current" in _blocks_text(post.body)
    plain = Retriever(
        retriever.knowledge,
        replace(retriever.config, implied_subject=False),
        retriever.semantic,
    )
    assert plain.ask("how do i stay current?").best is None  # read as asked


def test_a_mention_about_this_company_gets_related_reads(slack: RunningApp) -> None:
    """Asked about the asker's company, the bot says it knows the role in
    general, not this company, and offers the entry as a button to open."""
    event = mention("is cybersecurity important for tpms at this company")
    slack.send.event(envelope(event))
    [post] = slack.fake.wait_delivered("chat.postMessage")
    assert event["ts"] == post.body["thread_ts"]
    general = "What I have on this is general, not your company's own details."
    assert general in post.body["text"]
    assert general in _blocks_text(post.body)
    assert "show_entry:skill-cybersecurity" in _blocks_text(post.body)
    assert "feedback:" not in _blocks_text(post.body)  # not given as an answer


def test_an_answer_slack_may_have_posted_gets_no_try_again_apology(
    slack: RunningApp,
) -> None:
    """Slack posts the DM answer but answers 500, and the look for it fails
    too: the bot can't tell, posts nothing more, and says so plainly (look
    for it first) instead of the generic "something went wrong, try again"."""
    slack.fake.fail_next(
        "chat.postMessage", status=500, error="internal_error", after_delivery=True
    )
    slack.fake.fail_next("conversations.history", status=500, error="internal_error")
    slack.send.event(envelope(message(CYBER)))
    [note] = slack.fake.wait_delivered("chat.postEphemeral")
    slack.drain()
    assert 1 == len(slack.fake.delivered("chat.postMessage"))
    assert note.body["text"] == errors.UNSURE
    assert blocks.SORRY != note.body["text"]
