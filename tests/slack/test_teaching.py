"""Teaching the bot in Slack: *Teach* in the gap digest, *Add to knowledge*
on the experts' post, the modal and its checks, through signed HTTP requests
with Slack's payload shapes."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.answers import gaps
from bot.compose import Core, library_for, retriever_config
from bot.knowledge.loading import load
from bot.knowledge.models import Entry, Knowledge
from bot.search.library import Library
from bot.search.retriever import Retriever
from bot.slack import blocks, digest
from bot.slack.teach_modal import TeachValue
from bot.store.database import Store
from bot.store.engine import engine_for
from tests.slack.conftest import RunningApp
from tests.support.cli import cli
from tests.support.fake_slack import TEAM_ID, Call
from tests.support.harness import block_action, envelope, mention, message
from tests.support.paths import KNOWLEDGE_DIR

CURATORS = "C0CURATORS"
EXPERTS = "C0EXPERTS"
CURATOR = "U0CURATOR"
OTHER = "U0NOBODY1"
QUESTION = "xyzzy plugh frobnicate"


@pytest.fixture
def teaching(start_app: Callable[..., RunningApp]) -> RunningApp:
    return start_app(curators_channel=CURATORS, experts_channel=EXPERTS)


def _members(slack: RunningApp) -> None:
    """The curators' channel: the curator on its second page."""
    slack.fake.members[CURATORS] = ["U0A", "U0B", CURATOR]


def _teach_click(slack: RunningApp, user: str, question: str = QUESTION) -> None:
    value = TeachValue(question).encode()
    payload = block_action(
        f"{blocks.TEACH_GAP}:0",
        value,
        slack.fake.response_url("teach"),
        channel=CURATORS,
        thread_ts=None,
        user=user,
    )
    assert 200 == slack.send.action(payload).status


def _view(call: Call) -> dict[str, Any]:
    view = call.body["view"]
    loaded: dict[str, Any] = json.loads(view) if isinstance(view, str) else view
    return loaded


def _block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def _submit(
    slack: RunningApp, metadata: str, values: dict[str, Any], user: str = CURATOR
) -> Any:
    """A view_submission as Slack sends it: the answer is the ack's body."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": user, "username": "cur", "name": "cur", "team_id": TEAM_ID},
        "api_app_id": "A0APP001",
        "token": "legacy-verification-token",
        "trigger_id": "4.5.ghi",
        "view": {
            "id": "V0TEACH01",
            "team_id": TEAM_ID,
            "type": "modal",
            "callback_id": blocks.TEACH_VIEW,
            "private_metadata": metadata,
            "state": {"values": values},
            "hash": "1700000000.abc",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }
    response = slack.send.action(payload)
    assert 200 == response.status
    return response.json() if response.body else None


def _values(
    kind: str,
    entry: str | None = None,
    new_id: str = "",
    title: str = "",
    answer: str = "",
) -> dict[str, Any]:
    chosen = {"text": {"type": "plain_text", "text": entry}, "value": entry}
    return {
        "kind": {
            "choice": {"type": "radio_buttons", "selected_option": {"value": kind}}
        },
        "entry": {
            blocks.TEACH_ENTRY: {
                "type": "static_select",
                "selected_option": chosen if entry else None,
            }
        },
        "new_id": {"value": {"type": "plain_text_input", "value": new_id or None}},
        "new_title": {"value": {"type": "plain_text_input", "value": title or None}},
        "new_answer": {"value": {"type": "plain_text_input", "value": answer or None}},
    }


def test_the_digest_has_a_teach_button_per_unanswered_question(
    teaching: RunningApp,
) -> None:
    """Each gap, most asked first, with *Teach*; within Slack's 50 blocks."""
    for n in range(30):
        word = hashlib.sha256(str(n).encode()).hexdigest()[:12]
        teaching.store.record_question(f"xyzzy {word}", "no_match", [])
    data = gaps.build(teaching.store, teaching.core.library.snapshot().knowledge)
    shown = digest.digest(data).as_kwargs()["blocks"]
    teach = [
        b
        for b in shown
        if b.get("accessory", {}).get("text", {}).get("text") == "Teach"
    ]
    assert teach and len(shown) <= 50
    ids = [b["accessory"]["action_id"] for b in teach]
    assert len(set(ids)) == len(ids)
    first = TeachValue.decode(teach[0]["accessory"]["value"])
    assert first is not None and first.question.startswith("xyzzy ")


def _text_length(block: dict[str, Any]) -> int:
    """The characters of text in a block, its elements' and accessory's."""
    total = len(str(block.get("text", {}).get("text", "")))
    for element in block.get("elements", []):
        total += len(str(element.get("text", "")))
    return total + len(str(block.get("accessory", {}).get("text", {}).get("text", "")))


def test_a_busy_week_s_digest_fits_one_slack_message(teaching: RunningApp) -> None:
    """Forty long unanswered questions, every entry voted 👎, 25 reasons
    with notes: the digest keeps within what Slack takes in one message
    (it refuses about 12,000 characters of blocks) and says where the rest is."""
    store = teaching.store
    knowledge = teaching.core.library.snapshot().knowledge
    for n in range(40):
        word = hashlib.sha256(str(n).encode()).hexdigest()[:12]
        store.record_question(f"xyzzy {word} " + "long words " * 13, "no_match", [])
    for n, entry in enumerate(knowledge.entries):
        question = f"question {n} about {entry.title} " + "and more " * 10
        store.record_vote(question, entry.id, -1, f"U{n:08d}", [])
        if n < 25:
            store.record_reason(question, entry.id, f"U{n:08d}", "other", "x" * 200)
    data = gaps.build(store, knowledge)
    shown = digest.digest(data).as_kwargs()["blocks"]
    assert len(shown) <= 50
    assert sum(map(_text_length, shown)) <= blocks.ANSWER_CHARS
    assert "stpm-bot report" in json.dumps(shown)


def test_only_curators_can_teach(teaching: RunningApp) -> None:
    """Someone outside the curators' channel gets a private note, no modal."""
    _members(teaching)
    _teach_click(teaching, OTHER)
    [note] = teaching.fake.wait_delivered("response_url")
    assert note.body["text"].startswith(f"Only curators (members of <#{CURATORS}>)")
    assert "ephemeral" == note.body["response_type"]
    assert [] == teaching.fake.delivered("views.open")


def test_a_look_up_slack_refuses_counts_as_not_a_curator(
    teaching: RunningApp,
) -> None:
    """The bot is not in the curators' channel (`channel_not_found`): the
    clicker is told only curators can teach, no modal, one warning line."""
    teaching.fake.members.pop(CURATORS, None)
    with capture_logs() as logs:
        _teach_click(teaching, CURATOR)
        [note] = teaching.fake.wait_delivered("response_url")
        teaching.drain()
    assert note.body["text"].startswith("Only curators")
    assert [] == teaching.fake.delivered("views.open")
    [failed] = [e for e in logs if e["event"] == "curators.lookup_failed"]
    assert ("warning", "channel_not_found") == (
        failed["log_level"],
        failed["slack_error"],
    )


def test_a_curator_adds_the_question_to_an_entry(teaching: RunningApp) -> None:
    """Curator found on the member list's second page → the modal (entries in
    a static menu, the nearest chosen) → a valid submission closes it and is
    kept as pending, with who and when; a DM confirms."""
    _members(teaching)
    question = "is cloud computing important for an stpm?"
    _teach_click(teaching, CURATOR, question)
    [opened] = teaching.fake.wait_delivered("views.open")
    pages = teaching.fake.delivered("conversations.members")
    assert ["", "2"] == [c.body.get("cursor", "") for c in pages]
    view = _view(opened)
    assert (blocks.TEACH_VIEW, "modal") == (view["callback_id"], view["type"])
    picker = _block(view, "entry")["element"]
    assert "static_select" == picker["type"]
    knowledge = teaching.core.library.snapshot().knowledge
    assert len(knowledge.entries) == len(picker["options"])
    assert "skill-cloud" == picker["initial_option"]["value"]
    teaching.fake.reset()
    answer = _submit(
        teaching, view["private_metadata"], _values("phrasing", "skill-cloud")
    )
    assert answer is None or answer == {}
    [change] = teaching.store.changes()
    assert ("phrasing", "skill-cloud", question, CURATOR) == (
        change.kind,
        change.entry_id,
        change.question,
        change.taught_by,
    )
    [dm] = teaching.fake.wait_delivered("chat.postMessage")
    assert CURATOR == dm.body["channel"]
    assert "Saved as pending" in dm.text and "stpm-bot knowledge apply" in dm.text


def test_someone_removed_from_the_curators_while_the_modal_is_open_cannot_submit(
    teaching: RunningApp,
) -> None:
    """Membership is asked again at submission: a curator who left the
    channel after opening the modal gets an error in it, nothing is kept."""
    _members(teaching)
    _teach_click(teaching, CURATOR)
    [opened] = teaching.fake.wait_delivered("views.open")
    teaching.fake.members[CURATORS] = ["U0A", "U0B"]
    answer = _submit(
        teaching, _view(opened)["private_metadata"], _values("phrasing", "skill-cloud")
    )
    assert "errors" == answer["response_action"]
    assert answer["errors"]["kind"].startswith(
        f"Only curators (members of <#{CURATORS}>) can teach the bot"
    )
    assert [] == teaching.store.changes()
    teaching.fake.members[CURATORS] = [CURATOR]
    again = _submit(
        teaching, _view(opened)["private_metadata"], _values("phrasing", "skill-cloud")
    )
    assert again is None or again == {}
    assert 1 == len(teaching.store.changes())


def test_a_membership_look_up_that_hangs_refuses_the_submission_in_time(
    teaching: RunningApp,
) -> None:
    """Slack slow to say who is in the channel: the look-up is not waited
    for (or retried) past Slack's 3 s; the modal says to try again and
    nothing is kept."""
    _members(teaching)
    teaching.fake.fail_next("conversations.members", delay=5)
    answer = _submit(
        teaching, TeachValue(QUESTION).encode(), _values("phrasing", "skill-cloud")
    )
    assert "errors" == answer["response_action"]
    assert "couldn't check that you are a curator" in answer["errors"]["kind"]
    assert [] == teaching.store.changes()
    looks = [c for c in teaching.fake.calls if c.method == "conversations.members"]
    assert 1 == len(looks)


def test_a_rate_limited_look_up_at_submission_is_not_a_no(
    teaching: RunningApp,
) -> None:
    """Slack answers the membership look-up with 429: that says nothing
    about who is a curator, so the modal asks to try again instead of
    telling a curator they aren't one; nothing is kept."""
    _members(teaching)
    teaching.fake.fail_next(
        "conversations.members", status=429, error="ratelimited", retry_after=1
    )
    answer = _submit(
        teaching, TeachValue(QUESTION).encode(), _values("phrasing", "skill-cloud")
    )
    assert "errors" == answer["response_action"]
    assert "couldn't check that you are a curator" in answer["errors"]["kind"]
    assert "not one any more" not in answer["errors"]["kind"]
    assert [] == teaching.store.changes()


@pytest.mark.parametrize("failure", ["500", "reset"])
def test_a_failing_look_up_at_the_click_asks_to_try_again(
    teaching: RunningApp, failure: str
) -> None:
    """*Teach* clicked while Slack answers the look-up with 500 or drops the
    connection (past the retries): a private note to try again, not "only
    curators", no modal."""
    _members(teaching)
    for _ in range(4):
        if failure == "500":
            teaching.fake.fail_next("conversations.members", status=500)
        else:
            teaching.fake.fail_next("conversations.members", reset=True)
    _teach_click(teaching, CURATOR)
    [note] = teaching.fake.wait_delivered("response_url")
    assert note.body["text"].startswith("I couldn't check that you are a curator")
    assert [] == teaching.fake.delivered("views.open")


def test_the_saved_note_is_sent_at_most_once(teaching: RunningApp) -> None:
    """The "Saved as pending" DM goes to the curator's user id: a reset
    after Slack posted it is not followed by a second one; the change is
    kept."""
    _members(teaching)
    teaching.fake.fail_next("chat.postMessage", reset=True, after_delivery=True)
    answer = _submit(
        teaching, TeachValue(QUESTION).encode(), _values("phrasing", "skill-cloud")
    )
    assert answer is None or answer == {}
    teaching.fake.wait_delivered("chat.postMessage")
    teaching.drain()
    posts = [c for c in teaching.fake.calls if c.method == "chat.postMessage"]
    assert [CURATOR] == [c.body["channel"] for c in posts]
    assert 1 == len(teaching.store.changes())


@pytest.mark.parametrize(
    ("values", "block", "says"),
    [
        (_values("phrasing"), "entry", "Pick the entry"),
        (_values("phrasing", "gone-entry"), "entry", "no entry 'gone-entry'"),
        (
            _values("entry", new_id="skill-cloud", title="T", answer="A"),
            "new_id",
            "already an entry 'skill-cloud'",
        ),
        (_values("entry", new_id="vpn", title="VPN"), "new_answer", "Write the answer"),
        (
            _values("entry", new_id="vpn", title="VPN", answer="ask <!here>"),
            "new_answer",
            "<!here> would notify",
        ),
        (
            _values("entry", new_id="Not An Id", title="VPN", answer="A"),
            "new_id",
            "pattern",
        ),
    ],
)
def test_a_bad_submission_gets_errors_by_field(
    teaching: RunningApp, values: dict[str, Any], block: str, says: str
) -> None:
    """`response_action: errors` names the field; nothing is kept."""
    _members(teaching)
    metadata = TeachValue(QUESTION).encode()
    answer = _submit(teaching, metadata, values)
    assert "errors" == answer["response_action"]
    assert says in answer["errors"][block]
    assert [] == teaching.store.changes()


def test_a_question_already_taught_or_pending_id_is_refused(
    teaching: RunningApp,
) -> None:
    """A phrasing some entry has already; a new id another curator has
    pending."""
    _members(teaching)
    taken = teaching.core.library.snapshot().knowledge.by_id["skill-cloud"].questions[0]
    answer = _submit(
        teaching, TeachValue(taken).encode(), _values("phrasing", "skill-cloud")
    )
    assert "already under 'skill-cloud'" in answer["errors"]["kind"]
    teaching.store.teach("entry", "vpn", "other", CURATOR, title="V", answer="A")
    answer = _submit(
        teaching,
        TeachValue(QUESTION).encode(),
        _values("entry", new_id="vpn", title="VPN", answer="A"),
    )
    assert "or one pending" in answer["errors"]["new_id"]


def test_a_question_already_pending_is_refused_under_any_entry(
    teaching: RunningApp,
) -> None:
    """Two curators teach the same digest question: the second submission,
    under another entry or the same, is refused (applied, the files would
    hold it twice, and the loader refuses that), so one change is pending."""
    _members(teaching)
    teaching.fake.members[CURATORS].append("U0CURATOR2")
    metadata = TeachValue(QUESTION).encode()
    assert _submit(teaching, metadata, _values("phrasing", "skill-cloud")) is None
    for values in (
        _values("phrasing", "key-points"),
        _values("phrasing", "skill-cloud"),
        _values("entry", new_id="budgets", title="Budgets", answer="A."),
    ):
        answer = _submit(teaching, metadata, values, user="U0CURATOR2")
        assert "pending for 'skill-cloud'" in answer["errors"]["kind"]
    assert [("skill-cloud", QUESTION)] == [
        (c.entry_id, c.question) for c in teaching.store.changes()
    ]


def test_two_curators_teaching_one_question_at_once_keep_one_change(
    teaching: RunningApp,
) -> None:
    """Submitted at the same moment (both pass the pending check before
    either is kept): one change is kept, the other gets an error."""
    _members(teaching)
    teaching.fake.members[CURATORS].append("U0CURATOR2")
    metadata = TeachValue(QUESTION).encode()
    answers: list[Any] = []
    start = threading.Barrier(2)

    def submit(user: str, entry: str) -> None:
        start.wait()
        answers.append(_submit(teaching, metadata, _values("phrasing", entry), user))

    threads = [
        threading.Thread(target=submit, args=(CURATOR, "skill-cloud")),
        threading.Thread(target=submit, args=("U0CURATOR2", "key-points")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 == len(teaching.store.changes())
    assert 1 == sum(1 for a in answers if a and a.get("response_action") == "errors")


def test_add_to_knowledge_drafts_an_entry_from_the_expert_s_reply(
    start_app: Callable[..., RunningApp],
) -> None:
    """A curator in the user group: the expert post's *Add to knowledge*
    opens the modal with the expert's reply as the answer, *new entry*
    chosen; the submission keeps it pending."""
    slack = start_app(
        curators_channel=CURATORS,
        curators_usergroup="S0CURATORS",
        experts_channel=EXPERTS,
    )
    asked = slack.store.ask_experts(QUESTION, "U0USER01", EXPERTS)
    assert asked is not None
    slack.store.posted_to_experts(asked.id, "1700000000.000500")
    reply = message(
        "Use the *VPN* client.",
        channel=EXPERTS,
        channel_type="channel",
        thread_ts="1700000000.000500",
        user="U0EXPERT1",
    )
    slack.send.event(envelope(reply))
    slack.fake.wait_delivered("chat.postMessage")  # relayed to the asker
    slack.fake.reset()
    slack.fake.usergroups["S0CURATORS"] = [CURATOR]
    click = block_action(
        blocks.TEACH_EXPERT,
        str(asked.id),
        slack.fake.response_url("add"),
        channel=EXPERTS,
        thread_ts=None,
        user=CURATOR,
    )
    slack.send.action(click)
    [opened] = slack.fake.wait_delivered("views.open")
    view = _view(opened)
    assert (
        "Use the *VPN* client."
        == _block(view, "new_answer")["element"]["initial_value"]
    )
    assert "entry" == _block(view, "kind")["element"]["initial_option"]["value"]
    answer = _submit(
        slack,
        view["private_metadata"],
        _values("entry", new_id="vpn-client", title="The VPN", answer="Use it."),
    )
    assert answer is None or answer == {}
    [change] = slack.store.changes()
    assert ("entry", "vpn-client", "The VPN", "Use it.", QUESTION) == (
        change.kind,
        change.entry_id,
        change.title,
        change.answer,
        change.question,
    )


@pytest.fixture
def big(start_app: Callable[..., RunningApp], slack_core: Core) -> RunningApp:
    """A knowledge of 150 entries: more than a static menu may hold."""
    entries = [
        Entry(
            id=f"topic-{n}",
            title=f"Topic number {n}",
            answer="A.",
            questions=(f"q {n}",),
        )
        for n in range(150)
    ]
    knowledge = Knowledge.of(entries)
    config = retriever_config(slack_core.settings)
    library = Library(knowledge, lambda loaded: Retriever(loaded, config))
    return start_app(library=library, curators_channel=CURATORS, semantic=False)


def test_over_100_entries_the_picker_asks_as_the_curator_types(big: RunningApp) -> None:
    """external_select in the modal; block_suggestion answers with at most
    100 options that match what was typed."""
    _members(big)
    _teach_click(big, CURATOR)
    [opened] = big.fake.wait_delivered("views.open")
    picker = _block(_view(opened), "entry")["element"]
    assert "external_select" == picker["type"] and "options" not in picker
    suggestion = {
        "type": "block_suggestion",
        "user": {"id": CURATOR, "username": "cur", "name": "cur", "team_id": TEAM_ID},
        "container": {"type": "view", "view_id": "V0TEACH01"},
        "api_app_id": "A0APP001",
        "token": "legacy-verification-token",
        "action_id": blocks.TEACH_ENTRY,
        "block_id": "entry",
        "value": "",
        "team": {"id": TEAM_ID, "domain": "example"},
        "view": {"id": "V0TEACH01", "type": "modal", "callback_id": blocks.TEACH_VIEW},
    }
    everything = big.send.action(suggestion).json()["options"]
    assert 100 == len(everything)
    suggestion["value"] = "number 14"
    found = big.send.action(suggestion).json()["options"]
    expected = [f"topic-{n}" for n in range(150) if "14" in str(n)]
    assert expected == [o["value"] for o in found]


def test_after_apply_the_running_bot_answers_the_new_phrasing(
    start_app: Callable[..., RunningApp], slack_core: Core, tmp_path: Path
) -> None:
    """Taught in Slack, `stpm-bot knowledge apply` in a terminal, and the
    running bot's hot reload serves it: the question it couldn't answer now
    gets the entry."""
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    store = Store(engine_for(f"sqlite:///{tmp_path / 'data' / 'stpm-bot.db'}"))
    settings: dict[str, Any] = {
        "knowledge_dir": copy,
        "semantic": False,
        "reload_interval": 0.1,
        "curators_channel": CURATORS,
    }
    library = library_for(load(copy), slack_core.settings.model_copy(update=settings))
    slack = start_app(store=store, library=library, **settings)
    reloader = slack.core.reloader()
    reloader.start()
    try:
        slack.fake.reset()
        slack.send.event(envelope(mention(QUESTION)))
        [before] = slack.fake.wait_delivered("chat.postMessage")
        assert "Sorry, I don't have an answer" in before.text
        slack.store.teach("phrasing", "skill-cloud", QUESTION, CURATOR)
        done = cli(tmp_path, "knowledge", "apply", knowledge_dir=copy)
        assert 0 == done.returncode, done.stderr
        deadline = time.monotonic() + 10
        while True:
            slack.fake.reset()
            slack.send.event(envelope(mention(QUESTION)))
            [after] = slack.fake.wait_delivered("chat.postMessage")
            if "Cloud computing" in after.text or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert "Cloud computing" in after.text
        assert "Sorry" not in after.text
    finally:
        reloader.stop()


def test_a_teach_value_fits_a_button_and_holds_no_live_markup() -> None:
    """Escaped inside, the question back as it was; 500 "&" still fit Slack's
    2,000-character value (cut to 300)."""
    pingy = TeachValue("<!channel> where & why", 7)
    assert "<!channel>" not in pingy.encode()
    assert pingy == TeachValue.decode(pingy.encode())
    long = TeachValue("&" * 500).encode()
    assert len(long) <= 2000
    decoded = TeachValue.decode(long)
    assert decoded is not None and "&" * 300 == decoded.question
