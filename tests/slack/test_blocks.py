"""Block Kit built from replies stays within Slack's limits and never pings."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bot.answers.replies import Link, Reply, entry_reply, topics
from bot.answers.schedule import tip_for
from bot.compose import Core
from bot.knowledge.models import Entry, Knowledge, Skill, Tip
from bot.slack import blocks
from bot.text.markup import echo, inert, is_greeting, question_from

MAX_MESSAGE_BLOCKS = 50
MAX_SECTION_CHARS = 3000
PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U0OTHER1>", "<!subteam^S1>")


def _check_limits(message: blocks.Message) -> list[dict[str, Any]]:
    """Slack's limits: the models' own validation plus block and text sizes."""
    rendered: list[dict[str, Any]] = message.as_kwargs()["blocks"]  # validated
    assert 0 < len(rendered) <= MAX_MESSAGE_BLOCKS
    assert 0 < len(message.text) <= blocks.FALLBACK_CHARS
    sections = [b["text"]["text"] for b in rendered if b["type"] == "section"]
    assert sum(map(len, sections)) <= 12_000  # past ~13k: msg_blocks_too_long
    for block in rendered:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_CHARS
        if block["type"] == "actions":
            ids = [e["action_id"] for e in block["elements"]]
            assert len(ids) == len(set(ids)), "action_ids must be unique in a block"
    return rendered


def _shown(node: Any) -> list[str]:
    """Every string Slack renders: `text` values, not button `value`s."""
    if isinstance(node, dict):
        return [s for k, v in node.items() if k != "value" for s in _shown(v)]
    if isinstance(node, list):
        return [s for item in node for s in _shown(item)]
    return [node] if isinstance(node, str) else []


@pytest.fixture(scope="module")
def knowledge(slack_core: Core) -> Knowledge:
    return slack_core.library.snapshot().knowledge


def test_every_entry_renders_within_slack_limits(knowledge: Knowledge) -> None:
    """Each entry's answer, public and private, passes Slack's checks."""
    for entry in knowledge.entries:
        reply = entry_reply(knowledge, entry, "a question")
        for message in (blocks.answer(reply), blocks.answer(reply, private=True)):
            rendered = json.dumps(_check_limits(message))
            assert f"feedback:{entry.id}" in rendered
            for related in knowledge.related(entry):
                button = f"show_entry:{related.id}"
                option = f'"value": "{related.id}"'
                assert button in rendered or option in rendered


def test_every_skill_renders_within_slack_limits(knowledge: Knowledge) -> None:
    """/skill replies for each skill, and the table, pass Slack's checks."""
    for entry in knowledge.skills:
        _check_limits(blocks.skill(entry, knowledge))
    _check_limits(blocks.skills_table(knowledge))


def test_the_home_view_is_valid(knowledge: Knowledge) -> None:
    """App Home passes the View model's checks (≤ 100 blocks) on every tip day."""
    day = dt.date(2030, 1, 1)
    for offset in range(len(knowledge.tips)):
        tip = tip_for(knowledge, day + dt.timedelta(days=offset))
        view = blocks.home(knowledge, topics(knowledge), tip).to_dict()
        assert 0 < len(view["blocks"]) <= 100


def test_a_long_skill_or_tip_is_split_never_inside_a_link() -> None:
    """/skill, the tip of the day and App Home's tip: a text past one
    section's 3,000 characters comes in several, every link whole."""
    lines = [
        f"Paragraph {i}: see <https://example.com/p{i}|part {i}>." for i in range(90)
    ]
    text = "\n\n".join(lines)
    assert len(text) > 4000
    skill = Entry(
        id="skill-quokka",
        title="Quokka",
        answer=text,
        skill=Skill(name="Quokka", importance="High"),
    )
    tip = Tip(id="long", text=text)
    knowledge = Knowledge.of([skill], tips=[tip])
    home = blocks.home(knowledge, [], tip).to_dict()["blocks"]
    for rendered in (
        _check_limits(blocks.skill(skill, knowledge)),
        _check_limits(blocks.daily_tip(tip, knowledge)),
        home,
    ):
        sections = [b["text"]["text"] for b in rendered if b["type"] == "section"]
        body = "\n".join(sections)
        assert all(line in body for line in lines)
        assert all(s.count("<") == s.count(">") for s in sections)


def test_a_long_answer_with_many_related_entries_arrives_whole() -> None:
    """4,000 characters and 30 related entries: the text split across
    sections at line ends (no link or entity cut), five buttons and a menu
    with the other 25, and all of it in the notification text."""
    lines = [
        f"• Point {i}: see <https://example.com/{i}|the guide {i}> &amp; more"
        for i in range(80)
    ]
    text = "\n".join(lines)
    assert len(text) > 4000
    related = tuple(Link(f"e{i}", f"Entry {i}") for i in range(30))
    reply = Reply("answered", "q", title="T", text=text, entry_id="x", related=related)
    message = blocks.answer(reply)
    rendered = _check_limits(message)
    sections = [b["text"]["text"] for b in rendered if b["type"] == "section"]
    body = "\n".join(sections)
    assert all(line in body for line in lines)  # nothing lost, nothing cut
    assert all(s.count("<") == s.count(">") for s in sections)
    [menu_block] = [
        b for b in rendered if b["type"] == "actions" and "show_entry" in json.dumps(b)
    ]
    buttons = [e for e in menu_block["elements"] if e["type"] == "button"]
    [menu] = [e for e in menu_block["elements"] if e["type"] == "static_select"]
    assert 5 == len(buttons)
    assert [f"e{i}" for i in range(5, 30)] == [o["value"] for o in menu["options"]]
    assert (
        "Point 79: see the guide 79 (https://example.com/79) &amp; more" in message.text
    )
    assert "Entry 29" in message.text


def test_knowledge_that_would_ping_is_shown_as_typed() -> None:
    """A mention or broadcast in an answer or its source (validation
    skipped) never notifies."""
    text = (
        "Ask <!here> or <!subteam^S0TEAM|@leads> or <@U0BOSS>, see <https://x.y|docs>"
    )
    also = Reply("answered", "q", title="U", text="u", entry_id="y", source=text)
    reply = Reply(
        "answered", "q", title="T", text=text, entry_id="x", source=text, also=(also,)
    )
    for message in (blocks.answer(reply), blocks.answer(reply, shared=True, by="U1")):
        shown = json.dumps(message.as_kwargs())
        for live in ("<!here>", "<!subteam", "<@U0BOSS>"):
            assert live not in shown
        assert "<https://x.y|docs>" in shown  # links stay links


def test_fallback_text_is_the_answer_without_markup(knowledge: Knowledge) -> None:
    """Notifications and screen readers get the title and answer in plain words."""
    entry = knowledge.by_id["skill-cloud"]
    message = blocks.answer(entry_reply(knowledge, entry))
    assert message.text.startswith("Cloud computing: Cloud computing is rated High")


def test_no_match_offers_topics_and_the_human_contact(knowledge: Knowledge) -> None:
    """Nothing matched: a polite note, the topics and where to ask a person."""
    reply = Reply(
        "no_match", "wifi?", topics=topics(knowledge), human_contact="#stpm-guild"
    )
    message = blocks.no_match(reply)
    rendered = json.dumps(_check_limits(message), ensure_ascii=False)
    assert "#stpm-guild" in message.text
    assert topics(knowledge)[0] in rendered
    # topics, each with a way to ask, not the article's section names
    assert "Cloud computing" not in rendered or "(e.g. “" in rendered
    assert "Key responsibilities of an STPM (e.g. “" in rendered
    assert "FAQ" not in rendered and "Introduction" not in rendered


def _text_objects(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if node.get("type") == "mrkdwn" else []
        return found + [t for v in node.values() for t in _text_objects(v)]
    if isinstance(node, list):
        return [t for item in node for t in _text_objects(item)]
    return []


def test_a_typed_url_shown_back_is_not_made_a_link(knowledge: Knowledge) -> None:
    """Every mrkdwn text that shows a question back is `verbatim`, so Slack
    makes no link of a URL typed in it; the knowledge's own text is not."""
    typed = "xyzzy https://naked.example/z quux"
    links = (Link("skill-cloud", "Cloud computing"), Link("skill-ai-ml", "AI"))
    entry = knowledge.by_id["skill-cloud"]
    messages = [
        blocks.no_match(Reply("no_match", typed, topics=topics(knowledge))),
        blocks.suggestions(Reply("suggested", typed, suggestions=links)),
        blocks.unknown_skill(typed, links),
        blocks.answer(entry_reply(knowledge, entry, typed), private=True),
    ]
    for message in messages:
        objects = _text_objects(message.as_kwargs()["blocks"])
        echoing = [t for t in objects if "naked.example" in t["text"]]
        assert echoing and all(t.get("verbatim") is True for t in echoing)
    for reply in (entry_reply(knowledge, entry), entry_reply(knowledge, entry, typed)):
        objects = _text_objects(blocks.answer(reply).as_kwargs()["blocks"])
        assert any("Source:" in t["text"] for t in objects)
        assert not any(t.get("verbatim") for t in objects)  # nothing echoed


def test_suggestions_are_buttons(knowledge: Knowledge) -> None:
    """Unsure: "did you mean" buttons that show the suggested entries."""
    links = (Link("skill-cloud", "Cloud computing"), Link("skill-ai-ml", "AI"))
    message = blocks.suggestions(Reply("suggested", "clod", suggestions=links))
    rendered = json.dumps(_check_limits(message))
    assert "show_entry:skill-cloud" in rendered and "show_entry:skill-ai-ml" in rendered


def test_related_reads_for_a_question_about_this_company_say_why() -> None:
    """Asked about this company and now: why there is no answer, then the
    entries as related reads, within Slack's limits; no "did you mean"."""
    links = tuple(Link(f"e{i}", f"Entry {i} " + "x" * 70) for i in range(40))
    reply = Reply(
        "suggested",
        "are we hiring right now <!channel>",
        suggestions=links,
        particular=("organisation", "time"),
    )
    message = blocks.suggestions(reply)
    rendered = _check_limits(message)
    said = rendered[0]["text"]["text"]
    assert said == (
        "What I have on this is general, not your company's own details "
        "or what will happen next or is happening right now."
    )
    assert message.text.startswith(f"{said} Related reads: Entry 0")
    assert "Did you mean" not in json.dumps(rendered) + message.text
    assert "<!channel>" not in " ".join(_shown(message.as_kwargs()))
    assert "show_entry:e0" in json.dumps(rendered)


@pytest.mark.parametrize("ping", PINGS)
def test_echoed_questions_never_ping(ping: str) -> None:
    """Whatever the user typed is shown inert in every message that repeats it."""
    question = f"{ping} is there a wifi password?"
    for message in (
        blocks.no_match(Reply("no_match", question)),
        blocks.suggestions(Reply("suggested", question, suggestions=(Link("a", "A"),))),
        blocks.answer(
            Reply("answered", question, title="T", text="x", entry_id="a"), private=True
        ),
        blocks.unknown_skill(question, ()),
    ):
        assert ping not in " ".join(_shown(message.as_kwargs()))


def test_question_from_strips_markup_and_the_bot_mention() -> None:
    """The bot's mention and pings go; links and channels keep their labels."""
    text = (
        "<@UBOT> <!here> what about <https://x.example|the guide> in <#C1|tpm>? &amp;"
    )
    assert "what about the guide in tpm? &" == question_from(text, "UBOT")


def test_inert_and_echo_escape_slack_control_characters() -> None:
    """&, < and > are escaped; long questions are shortened."""
    assert "&lt;!channel&gt; &amp;" == inert("<!channel> &")
    assert echo("x" * 500).endswith("…")


def test_greetings_are_recognised() -> None:
    """ "hi", "help", "hello!" and nothing at all are greetings; questions are not."""
    assert all(is_greeting(t) for t in ("", "hi", "Help", "hello!", "  "))
    assert not is_greeting("what does an stpm do")


def test_vote_values_round_trip_and_reject_garbage() -> None:
    """Feedback button values decode to what was encoded; garbage to None."""
    value = blocks.VoteValue("skill-cloud", "is cloud important?")
    assert value == blocks.VoteValue.decode(value.encode())
    assert len(value.encode()) <= 2000
    assert blocks.VoteValue.decode("not json") is None
    assert blocks.VoteValue.decode("[1]") is None


def test_a_forged_value_is_read_no_longer_than_the_bot_writes_it() -> None:
    """Every button value the bot decodes keeps at most what its encoder
    would have put there, however long a forged one is."""
    from bot.slack.teach_modal import QUESTION_CHARS, TeachValue

    huge, long_id = "y" * 200_000, "e" * 5_000
    vote = blocks.VoteValue.decode(json.dumps({"e": long_id, "q": huge}))
    native = blocks.NativeVote.decode(json.dumps({"v": -1, "e": long_id, "q": huge}))
    expert = blocks.ExpertValue.decode(
        json.dumps({"q": huge, "c": long_id, "e": long_id})
    )
    teach = TeachValue.decode(json.dumps({"q": huge}))
    assert vote is not None and native is not None
    assert expert is not None and teach is not None
    for value in (vote, native.value):
        assert (blocks.ID_CHARS, blocks.QUESTION_KEY_CHARS) == (
            len(value.entry_id),
            len(value.question),
        )
    assert blocks.EXPERT_QUESTION_CHARS == len(expert.question)
    assert blocks.ID_CHARS == len(expert.channel) == len(expert.entry_id)
    assert QUESTION_CHARS == len(teach.question)


def test_native_feedback_buttons_have_slack_s_documented_shape() -> None:
    """A `context_actions` block holding one `feedback_buttons` element, its
    two buttons plain text with values that decode to the vote."""
    block = blocks.feedback_buttons_block(
        "skill-cloud", "is cloud important?"
    ).to_dict()
    assert {"type", "block_id", "elements"} == set(block)
    assert "context_actions" == block["type"]
    [element] = block["elements"]
    assert {"type", "action_id", "positive_button", "negative_button"} == set(element)
    assert ("feedback_buttons", blocks.FEEDBACK_BUTTONS) == (
        element["type"],
        element["action_id"],
    )
    for key, vote, label in (
        ("positive_button", 1, "👍"),
        ("negative_button", -1, "👎"),
    ):
        button = element[key]
        assert {"type": "plain_text", "text": label} == {
            k: v for k, v in button["text"].items() if k != "emoji"
        }
        assert len(button["value"]) <= 2000
        assert blocks.NativeVote(
            vote, blocks.VoteValue("skill-cloud", "is cloud important?")
        ) == blocks.NativeVote.decode(button["value"])


def test_a_panel_answer_has_native_feedback_instead_of_the_votes(
    knowledge: Knowledge,
) -> None:
    """The native buttons come last, the vote buttons not at all."""
    reply = entry_reply(knowledge, knowledge.by_id["skill-cloud"], "cloud? " * 400)
    rendered = _check_limits(blocks.answer(reply, native_feedback=True))
    assert "context_actions" == rendered[-1]["type"]
    assert blocks.VOTE_UP not in json.dumps(rendered)
    assert blocks.VOTE_UP in json.dumps(blocks.answer(reply).as_kwargs()["blocks"])


@pytest.mark.parametrize(
    "value", ["", "nope", "[]", '{"v": 2, "e": "x"}', '{"v": 1}', '{"e": "x"}']
)
def test_a_native_vote_that_is_not_ours_decodes_to_none(value: str) -> None:
    """A forged or truncated value is no vote."""
    assert blocks.NativeVote.decode(value) is None


@pytest.mark.parametrize(
    ("weekends", "days"), [(False, "every weekday"), (True, "every day")]
)
def test_app_home_says_which_days_my_tip_comes(weekends: bool, days: str) -> None:
    """With STPM_BOT_TIPS_WEEKENDS on, the personal tip comes every day."""
    knowledge = Knowledge.of([])
    mine = blocks.MyTip(True, "08:00", "UTC", weekends=weekends)
    view = json.dumps(blocks.home(knowledge, [], None, mine=mine).to_dict())
    assert f"{days} at 08:00 (UTC)" in view


@pytest.mark.parametrize(
    "question",
    [
        "wie wichtig ist 🔐 cybersecurity für eine stpm? " * 5,
        "クラウドコンピューティングはSTPMにとってどれくらい重要ですか" * 3,
        "🔐☁️📈" * 30,
    ],
)
def test_did_you_mean_s_menu_carries_the_question_within_slack_s_limit(
    question: str,
) -> None:
    """Past the buttons, "did you mean" entries are in a menu, whose option
    values Slack caps at 150 characters: each carries as much of the
    question as fits, so a vote on it still has the asker's words, in
    any script."""
    links = tuple(Link(f"entry-{i}-" + "x" * 40, f"Entry {i}") for i in range(12))
    reply = Reply("suggested", question, suggestions=links)
    shown = blocks.suggestions(reply).as_kwargs()["blocks"]
    menus = [
        e
        for b in shown
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "static_select"
    ]
    [menu] = menus
    for option in menu["options"]:
        assert len(option["value"]) <= 150
        shown = blocks.shown_value(option["value"])
        assert shown.entry_id.startswith("entry-")
        assert len(shown.question) >= 3 and question.startswith(shown.question)
