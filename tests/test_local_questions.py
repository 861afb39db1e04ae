"""Questions about this company, its people or a moment: knowledge about the
role can't know them, so they get related reads instead of a confident
answer, by words only and with the model; a company's own FAQ, which speaks
of "our offices", still answers them."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.answers.asking import _each_part
from bot.answers.followup import parts
from bot.cli.chat import Chat
from bot.clock import Clock
from bot.compose import Core, build
from bot.knowledge import loading
from bot.search.retriever import Result, Retriever
from bot.slack import blocks
from bot.text.reference import (
    figure_asked,
    local_reference,
    states_figure,
    topic_asked,
    topics_in,
)
from tests.support.cli import cli
from tests.support.core import shipped_settings
from tests.support.paths import FIXTURES, HUMAN_CONTACT, KNOWLEDGE_DIR

NOON = Clock.fixed(dt.datetime(2025, 1, 31, 12, tzinfo=dt.UTC))
GENERAL_ONLY = "What I have on this is general, not your company's own details."
# Asked about the asker's company and about now; the entries that would
# answer them about the role in general.
ABOUT_THE_COMPANY = "is cybersecurity important for tpms at this company"
ABOUT_NOW = "what skills does an stpm need right now"
IN_GENERAL = {ABOUT_THE_COMPANY: "skill-cybersecurity", ABOUT_NOW: "key-skills"}
# Made up to look like the questions above, but asking about the role in
# general: "currently" describes the asker, "who are the" asks for a kind of
# people, "the team" is any team, "at the moment of" is a step of the work.
SOUNDS_LOCAL = (
    "I am currently a pm, how do I become a tpm",
    "I'm currently an engineer, what skills do I need",
    "who are the stakeholders a tpm works with",
    "who is the tpm accountable to",
    "is the org structure important for a tpm",
    "does the team need a tpm",
    "what does a tpm do at the moment of a launch",
)
# A company's FAQ, ingested beside the STPM knowledge: it speaks of "our"
# offices, pay and people, so questions put that way are its to answer.
COMPANY_FAQ = FIXTURES / "company_handbook_faq.txt"
FIGURE_QUESTIONS = FIXTURES / "figure_questions.yaml"


def _core(
    monkeypatch: pytest.MonkeyPatch, semantic: bool, knowledge_dir: Path = KNOWLEDGE_DIR
) -> Core:
    """The shipped settings over `knowledge_dir`, STPM_BOT_SEMANTIC as given."""
    monkeypatch.setenv("STPM_BOT_SEMANTIC", "true" if semantic else "false")
    core = build(shipped_settings(knowledge_dir=knowledge_dir), counted=False)
    assert core.library.snapshot().retriever.mode == (
        "hybrid" if semantic else "lexical"
    )
    return core


def _beside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, semantic: bool, document: Path
) -> Retriever:
    """The retriever over the STPM knowledge with `document` ingested beside
    it (`stpm-bot ingest`), STPM_BOT_SEMANTIC as given."""
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, folder)
    done = cli(tmp_path, "ingest", str(document), knowledge_dir=folder)
    assert 0 == done.returncode, done.stderr
    return _core(monkeypatch, semantic, folder).library.snapshot().retriever


def _without_rule(retriever: Retriever) -> Retriever:
    """The same retriever with the rule for local questions and figures off."""
    return Retriever(
        retriever.knowledge,
        replace(retriever.config, local_references=False),
        retriever.semantic,
    )


@pytest.fixture(scope="module", params=[False, True], ids=["words", "model"])
def core(request: pytest.FixtureRequest) -> Iterator[Core]:
    with pytest.MonkeyPatch.context() as patch:
        yield _core(patch, request.param)


def test_a_question_about_this_company_or_now_gets_related_reads(core: Core) -> None:
    """Not answered confidently: suggested, saying what it asks about, with
    the entry that answers it in general first; the same question without
    the rule would have been answered by that entry."""
    retriever = core.library.snapshot().retriever
    without = _without_rule(retriever)
    for question, kind in ((ABOUT_THE_COMPANY, "organisation"), (ABOUT_NOW, "time")):
        result = retriever.ask(question)
        assert "suggested" == result.status, question
        assert (kind,) == result.particular
        assert IN_GENERAL[question] == result.suggestions[0].entry.id
        answered = without.ask(question)
        assert "answered" == answered.status, question
        assert IN_GENERAL[question] == answered.answers[0].entry.id


def test_the_chat_says_it_knows_the_role_not_this_company(core: Core) -> None:
    """The terminal chat says why there is no answer and offers the entry as
    a related read, which its number opens."""
    chat = Chat(core.answerer, core.library, NOON)
    lines = (chat.respond(ABOUT_THE_COMPANY) or "").splitlines()

    assert lines[0] == GENERAL_ONLY
    assert lines[1].startswith("Related reads: 1) Cybersecurity (/skill-cybersecurity)")
    assert lines[-1] == f"Someone may know: ask {HUMAN_CONTACT}."
    assert "Did you mean" not in "\n".join(lines)
    assert (chat.respond("1") or "").startswith("Cybersecurity\n")
    now = chat.respond(ABOUT_NOW) or ""
    assert now.startswith(
        "What I have on this is general, "
        "not what will happen next or is happening right now.\n"
    )
    assert "(/key-skills)" in now


def test_slack_says_it_knows_the_role_not_this_company(core: Core) -> None:
    """In Slack: the same words, and the entry as a button to open."""
    reply = core.answerer.answer(ABOUT_THE_COMPANY)
    message = blocks.for_reply(reply)
    rendered = message.as_kwargs()["blocks"]

    assert message.text.startswith(f"{GENERAL_ONLY} Related reads: Cybersecurity")
    assert message.text.endswith(f"Someone may know: ask {HUMAN_CONTACT}.")
    assert (
        f"Someone may know: ask {HUMAN_CONTACT}."
        == (rendered[3]["elements"][0]["text"])
    )
    assert GENERAL_ONLY == rendered[0]["text"]["text"]
    assert "Related reads:" == rendered[1]["elements"][0]["text"]
    assert "Did you mean" not in message.text
    buttons = [e for b in rendered if b["type"] == "actions" for e in b["elements"]]
    # The entry, and the question it is offered for (its votes carry it).
    shown = blocks.shown_value(buttons[0]["value"])
    assert ("skill-cybersecurity", reply.question) == (shown.entry_id, shown.question)
    assert "Cybersecurity" == buttons[0]["text"]["text"]


def _assert_answered(retriever: Retriever, *expected: tuple[str, str]) -> None:
    """Each question answered confidently by its entry, nothing particular."""
    for question, entry in expected:
        result = retriever.ask(question)
        assert "answered" == result.status, question
        assert entry == result.answers[0].entry.id, question
        assert () == result.particular, question


def test_we_meaning_the_role_is_still_answered(core: Core) -> None:
    """ "we" as STPMs, or asking how to, is about the role: answered."""
    _assert_answered(
        core.library.snapshot().retriever,
        ("how do we stay current as stpms", "bp-stay-current"),
        ("how important is cybersecurity for an stpm", "skill-cybersecurity"),
    )


def test_questions_that_only_sound_local_are_answered(core: Core) -> None:
    """About the asker, a kind of people, any team or a step of the work:
    treated as they would be without the rule."""
    retriever = core.library.snapshot().retriever
    without = _without_rule(retriever)
    for question in SOUNDS_LOCAL:
        result, unruled = retriever.ask(question), without.ask(question)
        assert () == result.particular, question
        assert unruled.status == result.status, question
        first = [m.entry.id for m in (result.answers or result.suggestions)[:1]]
        assert [
            m.entry.id for m in (unruled.answers or unruled.suggestions)[:1]
        ] == first


def test_what_counts_as_a_local_reference() -> None:
    """How a question refers, read from its words alone."""
    assert {"organisation"} == local_reference("do we use aws here")
    assert {"organisation", "person"} == local_reference("who is the head of tpms here")
    assert {"organisation", "time"} == local_reference("are we hiring right now")
    assert {"time"} == local_reference("will ai replace tpms in the next 5 years")
    assert {"person"} == local_reference("who is the hiring manager for tpms")
    assert {"person"} == local_reference("who is the tpm on the payments team")
    assert {"person"} == local_reference(
        "who's the program manager for the atlas project"
    )
    assert {"organisation"} == local_reference("does the team here use jira")
    assert {"time"} == local_reference(
        "i'm currently a pm, what do tpms earn right now"
    )
    assert {"time"} == local_reference("what is the tpm market like at the moment")
    for general in (
        "how do we stay current as stpms",
        "new grad here, what does a tpm do",
        "does anyone here know what an stpm does",
        "should we learn python as program managers",
        # "here" introducing the asker or the channel makes nothing local,
        # whatever else the question says; nor does the role's "our".
        "pm here, who are the stakeholders a tpm works with?",
        "new tpm here - does the team need a tpm",
        "as tpms, who are the stakeholders of our programs?",
        # Any team or program, not a named one.
        "who is the tpm in a project team",
        "who is the tpm for the program",
        *SOUNDS_LOCAL,
    ):
        assert frozenset() == local_reference(general), general
    assert {"organisation", "person"} == local_reference("who is our skip level")
    # A time in what the asker does or plans is theirs; "will i …" asks
    # what a moment brings.
    for planned in (
        "I want to grow into a strong senior TPM over the next year, where to start?",
        "i'm joining next month as a sr tpm, what does the job involve",
    ):
        assert frozenset() == local_reference(planned), planned
    for moment in (
        "will i be replaced by ai in the next 5 years",
        "will ai replace me in the next 5 years",
        # What the asker heard, thinks or wants to know: the world's time.
        "i want to know what the tpm responsibilities are right now",
        "i wonder what the key skills for a senior tpm are these days",
        "i think layoffs are coming this year, are they?",
        "i was told the ladder changes next quarter, true?",
        # The asker in a question, not as the one who acts.
        "what are the key skills i need for the stpm promotion this cycle",
    ):
        assert {"time"} == local_reference(moment, question=True), moment


# A general question with a statement of the asker's situation around it.
TOLD_AROUND = (
    "is risk taking ok for a stpm? my director is super risk averse and we"
    " never try anything new"
)


def test_a_statement_around_the_question_is_not_what_it_asks() -> None:
    """What a question tells after it has asked is the asker's situation:
    "our" or "here" there makes nothing local. A sentence that starts like
    a question asks, "?" or not, and what is told before the first question
    may be what it is about: both still count. Knowledge texts are read
    whole."""
    for general in (
        TOLD_AROUND,
        "tl;dr of the sr tpm role pls? my mgr sent me here :pray:",
    ):
        assert frozenset() == local_reference(general, question=True), general
        assert local_reference(general) != frozenset(), general
    for asked, kinds in (
        ("we moved to azure. which cloud do we use here?", {"organisation"}),
        ("do we use aws here? or gcp?", {"organisation"}),
        ("are we hiring right now. is there a freeze", {"organisation", "time"}),
        ("are we hiring right now. any idea?", {"organisation", "time"}),
        ("who leads the tpm org here. i'm new?", {"organisation"}),
        ("who is our vp. anyone know?", {"organisation", "person"}),
        ("at our company. what's the tpm career ladder?", {"organisation"}),
        # Said after the question, but narrowing it.
        (
            "what are the key skills for a tpm? i mean here at our company",
            {"organisation"},
        ),
        ("what are the key skills? asking about this company", {"organisation"}),
    ):
        assert kinds == local_reference(asked, question=True), asked
    assert {"organisation"} == local_reference(
        "Lost your badge? Our front desk issues a new one.", places=False
    )


TELLS_OF_THE_ASKER = (
    "hey so im new here, what is an stpm exactly?",
    "right now im an engineer, what should i learn to become an stpm",
    "currently a tpm, how do i get better",
    "just joined as a tpm here, how do i stay current?",
    "i've been a pm here for 2 years, how do i become an stpm?",
    "i became an stpm last month here, what should i focus on?",
)


def test_what_the_asker_tells_of_themselves_before_asking_is_not_asked() -> None:
    """A clause that only tells who the asker is, before the question, makes
    nothing local ("here", "right now" are theirs); one that says whose case
    is asked ("at our company"), or what they heard, still counts."""
    for general in TELLS_OF_THE_ASKER:
        assert frozenset() == local_reference(general, question=True), general
    for asked, kinds in (
        ("im new here, what cloud do we use here?", {"organisation"}),
        ("at our company, what's the tpm career ladder?", {"organisation"}),
        ("in my org, how long does promotion take?", {"organisation"}),
        ("i think layoffs are coming this year, are they?", {"time"}),
        ("we heard layoffs are coming this year, are they?", {"organisation", "time"}),
        # Who the asker is, said with a team, an organisation or "we": whose
        # case the question may be about.
        (
            "im on the payments team here, who is the stpm i should work with?",
            {"organisation", "person"},
        ),
        ("i just joined the infra team here, what does my team use?", {"organisation"}),
        ("just joined our company, who runs the tpm org?", {"organisation"}),
        ("we use jira here, what is the process for approvals?", {"organisation"}),
        ("i need a laptop here, who do i ask?", {"organisation"}),
        (
            "i've heard the career path here is slow, how do i grow into an stpm?",
            {"organisation"},
        ),
    ):
        assert kinds == local_reference(asked, question=True), asked


def test_a_question_after_the_asker_says_who_they_are_is_answered(
    core: Core,
) -> None:
    """ "just joined as a tpm here, how do i stay current?" is answered, by
    words only and with the model: "here" is where the asker joined."""
    result = core.library.snapshot().retriever.ask(TELLS_OF_THE_ASKER[3])
    assert () == result.particular
    assert "answered" == result.status
    assert "bp-stay-current" == result.answers[0].entry.id


def test_what_the_asker_wants_to_know_about_now_is_not_answered(core: Core) -> None:
    """ "i want to know …" asks about the moment it names: no confident
    answer, by words only and with the model."""
    question = "i want to know what the tpm responsibilities are right now"
    result = core.library.snapshot().retriever.ask(question)
    assert "answered" != result.status
    assert "time" in result.particular


def test_a_question_told_around_is_answered(core: Core) -> None:
    """Answered by the entry it asks about, by words only and with the model."""
    result = core.library.snapshot().retriever.ask(TOLD_AROUND)
    assert "answered" == result.status
    assert "bp-innovation-culture" == result.answers[0].entry.id


@pytest.mark.parametrize("semantic", [False, True], ids=["words", "model"])
def test_a_company_faq_still_answers_where_are_our_offices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, semantic: bool
) -> None:
    """Ingested beside the STPM knowledge (`stpm-bot ingest`), a company FAQ
    that speaks of "our" things answers questions put that way; an STPM
    entry beside it still does not."""
    retriever = _beside(tmp_path, monkeypatch, semantic, COMPANY_FAQ)

    result = retriever.ask("where are our offices")
    assert "answered" == result.status
    assert "Our offices are in Lisbon" in result.answers[0].entry.answer
    # An entry that never says "we" itself, in a collection that does.
    result = retriever.ask("how many vacation days do we get here")
    assert "answered" == result.status
    assert result.answers[0].entry.answer.startswith("25 days a year")
    assert "suggested" == retriever.ask(ABOUT_THE_COMPANY).status


def test_a_question_in_parts_about_this_company_stays_whole(core: Core) -> None:
    """Split, its parts would lose "at this company" and each be answered as
    a question about the role; kept whole, it gets related reads only."""
    question = "at this company, what do stpms do and what skills do they need?"
    asked = core.answerer.retrieve(question)
    assert "answered" != asked.result.status
    assert ("organisation",) == asked.result.particular
    assert () == asked.also


def test_parts_are_judged_by_what_the_whole_question_asks(core: Core) -> None:
    """Even when the whole question matched nothing (so it carries no
    reading of its own), a part's entry that never speaks of this company
    answers no part of a question about it."""
    retriever = core.library.snapshot().retriever
    question = "at this company, what do stpms do and what skills do they need?"
    pieces = parts(question)
    assert len(pieces) > 1
    whole = Result(question, "no_match")
    assert (whole, ()) == _each_part(retriever, whole, pieces)


# Ask for a figure (years, a count, pay) that the entry they sound like
# never gives; without the rule each is answered confidently.
FIGURES_NOT_GIVEN = (
    "how many years of experience do you need to be a senior tpm",
    "how many people report to a senior tpm",
)
FIGURE_ONLY = (
    "What I have on this is general, not figures such as pay, years or counts."
)
# Made up to sound like asking for a figure, but asking about the role.
SOUNDS_LIKE_A_FIGURE = (
    "how much does communication make a difference for an stpm",
    "should an stpm pay close attention to stakeholders",
    "with a large number of stakeholders, how does an stpm keep them aligned",
    "kpis like 99% uptime, how do stpms monitor program performance",
    "salary aside, what does a senior tpm actually do all day?",
    "how long should stpms keep learning new tech",
)


def test_a_question_asking_for_a_figure_the_entry_never_gives_gets_related_reads(
    core: Core,
) -> None:
    """Suggested, saying what it asks for, where the same retriever without
    the rule answered it."""
    retriever = core.library.snapshot().retriever
    without = _without_rule(retriever)
    for question in FIGURES_NOT_GIVEN:
        result = retriever.ask(question)
        assert "suggested" == result.status, question
        assert ("figure",) == result.particular, question
        assert "answered" == without.ask(question).status, question
    chat = Chat(core.answerer, core.library, NOON)
    lines = (chat.respond(FIGURES_NOT_GIVEN[0]) or "").splitlines()
    assert FIGURE_ONLY == lines[0]
    assert lines[1].startswith("Related reads: 1) ")
    message = blocks.for_reply(core.answerer.answer(FIGURES_NOT_GIVEN[1]))
    assert message.text.startswith(f"{FIGURE_ONLY} Related reads: ")


def test_questions_that_only_sound_like_a_figure_are_answered(core: Core) -> None:
    """Treated as they would be without the rule."""
    retriever = core.library.snapshot().retriever
    without = _without_rule(retriever)
    for question in SOUNDS_LIKE_A_FIGURE:
        result, unruled = retriever.ask(question), without.ask(question)
        assert "figure" not in result.particular, question
        assert unruled.status == result.status, question


def test_the_figure_questions_fixture(core: Core) -> None:
    """Figure questions the knowledge can't answer are never answered
    confidently; those that only sound like one, and counts an entry gives,
    are never held back as figures."""
    figures = yaml.safe_load(FIGURE_QUESTIONS.read_text(encoding="utf-8"))
    retriever = core.library.snapshot().retriever
    answered = [q for q in figures["figure_not_given"] if retriever.ask(q).best]
    assert [] == answered
    for group in ("sounds_like_a_figure", "figure_given"):
        held = [q for q in figures[group] if "figure" in retriever.ask(q).particular]
        assert [] == held, group


def test_a_question_in_two_parts_is_answered_part_by_part(core: Core) -> None:
    """A figure belongs to the part that asks it: a part whose entry gives
    it, and a part that asks none, both answered."""
    asked = core.answerer.retrieve(
        "how many best practices are there and how do stpms stay current?"
    )
    assert "best-practices" == asked.result.answers[0].entry.id
    assert ["bp-stay-current"] == [r.answers[0].entry.id for r in asked.also]


def test_a_figure_the_entry_gives_is_answered(core: Core) -> None:
    """ "Five best practices": the entry that counts them answers how many;
    so does one whose answer lists what its title names ("how many key
    skills": Key skills and qualities, five bullets). A list under a title
    that names something else doesn't count teams."""
    retriever = core.library.snapshot().retriever
    _assert_answered(
        retriever,
        ("how many best practices are there for stpms", "best-practices"),
        ("how many key skills does a senior tpm need", "key-skills"),
    )
    teams = retriever.ask("how many teams does a senior tpm usually manage")
    assert "answered" != teams.status
    assert ("figure",) == teams.particular


def test_what_asks_for_a_figure_and_what_gives_one() -> None:
    """A count, a length of time or an amount of money asked for, in the
    part of the message that asks; a figure given is a numeral, a number
    word other than "one", a percentage or an amount."""
    for asked in (
        "how many years of experience do you need",
        "how long does it take to get promoted to sr tpm",
        "how much does a senior tpm make in seattle",
        "how much experience do i need for stpm",
        "what's the salary range for a senior tpm",
        "is the comp band for tpm the same as swe",
        "what percentage of tpms are senior",
        "how many yoe for this job?",
    ):
        assert figure_asked(asked, question=True) is not None, asked
    for general in (
        "how much does cloud matter for an stpm",
        "how often should an stpm evaluate program performance",
        "how do stpms earn the trust of engineers",
        "how do i become a senior tpm",
        # Told after asking: the asker's situation, not what is asked.
        "what skills matter most for a sr tpm? i have 6 yrs of exp in backend",
    ):
        assert figure_asked(general, question=True) is None, general
    for given in ("Five best practices help", "up to 72 hours", "about 15%", "$120k"):
        assert states_figure(given), given
    for none in (
        "It is one of the top skills",
        "Strong technical expertise",
        # A numeral in a name is no figure.
        "S3 buckets and Q4 planning for web3",
    ):
        assert not states_figure(none), none
    # How many, or how long and how much: a count says the first only.
    assert states_figure("one of the three top-rated skills", "count")
    assert not states_figure("one of the three top-rated skills", "amount")
    for amount in ("about two weeks", "four minutes", "10%"):
        assert states_figure(amount, "amount"), amount
    assert not states_figure("two teams of engineers", "amount")


def test_which_figure_is_asked_and_where() -> None:
    """An amount (time, money, a share) or a count with what is counted;
    read in the clauses that ask, not where the asker tells of themselves
    or sets pay aside."""
    for asked, figure in (
        ("how many key skills does a senior tpm need", ("count", "skills")),
        ("how many people report to a sr tpm", ("count", "people")),
        ("how many years of experience do i need", ("amount", "")),
        ("what's the pay like for stpms :moneybag:", ("amount", "")),
        ("stpm comp? how much $$", ("amount", "")),
        ("what % of tpms are senior", ("amount", "")),
        ("how much more does an stpm make than a tpm", ("amount", "")),
        ("what do stpms make", ("amount", "")),
    ):
        assert figure == figure_asked(asked, question=True), asked
    for general in (
        "salary aside, what does a senior tpm actually do all day?",
        "i know the pay is good, but what does an stpm actually do?",
        "not asking about pay, just what skills does a stpm need",
        "does it pay off to learn cloud as a tpm",
        "do i need a comp sci background to be an stpm",
        "how long should stpms keep learning new tech",
        "how big is the scope of programs a senior tpm leads",
        "how much do stpms care about cost when aligning strategy",
        "how many hats does a senior tpm wear lol",
        "im a swe with 6 yrs exp, what skills am i missing for stpm?",
        *SOUNDS_LIKE_A_FIGURE,
    ):
        assert figure_asked(general, question=True) is None, general


TOPIC_QUESTIONS = FIXTURES / "topic_questions.yaml"
LEARNING_FAQ = FIXTURES / "learning_faq.txt"


def test_what_asks_about_credentials_or_hiring() -> None:
    """A certification, a degree or a bootcamp; an interview, a recruiter, a
    résumé or an offer; the level after this one; in the clauses that ask;
    the role compared with another job, anywhere; working conditions.
    Not "what degree of depth", "to some degree", a scrum master, what the
    role offers, "the next step to become one", nor what the asker tells of
    themselves."""
    topics = yaml.safe_load(TOPIC_QUESTIONS.read_text(encoding="utf-8"))
    for asked in topics["topic_not_spoken"]:
        assert topic_asked(asked, question=True), asked
    for general in topics["sounds_like_a_topic"]:
        assert frozenset() == topic_asked(general, question=True), general
    assert {"credential"} == topic_asked("is the PMP certification worth it")
    assert {"hiring"} == topic_asked("how do i negotiate my offer")
    assert {"career"} == topic_asked("what comes after senior tpm, principal?")
    # A comparison said before the question is read too.
    assert {"role"} == topic_asked("tpm vs eng manager, which track should i pick")
    assert {"role"} == topics_in("Product managers own the roadmap; TPMs, delivery.")
    assert {"policy"} == topic_asked("do tpms have to be on call")
    assert frozenset() == topics_in(
        "STPMs need five technical skill areas, three rated High."
    )
    assert {"credential", "hiring"} == topics_in(
        "Book a mock interview before your PMP exam."
    )


def test_a_question_about_credentials_or_hiring_gets_related_reads(
    core: Core,
) -> None:
    """The STPM knowledge never speaks of certifications or interviews: such
    a question is never answered confidently, and says why; one that only
    sounds like it is treated as without the rule."""
    topics = yaml.safe_load(TOPIC_QUESTIONS.read_text(encoding="utf-8"))
    retriever = core.library.snapshot().retriever
    answered = [q for q in topics["topic_not_spoken"] if retriever.ask(q).best]
    assert [] == answered
    without = _without_rule(retriever)
    for question in topics["sounds_like_a_topic"]:
        result, unruled = retriever.ask(question), without.ask(question)
        assert unruled.status == result.status, question
    # Without the rule, an entry on the skill would answer this one.
    asked = "tips for the cybersecurity part of a tpm interview?"
    assert "answered" == without.ask(asked).status
    assert ("hiring",) == retriever.ask(asked).particular
    reply = core.answerer.answer("would a pmp help me get the senior tpm role")
    assert reply.general_only == (
        "What I have on this is general, not which certifications or degrees to get."
    )


@pytest.mark.parametrize("semantic", [False, True], ids=["words", "model"])
def test_a_document_that_speaks_of_certifications_answers_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, semantic: bool
) -> None:
    """Ingested beside the STPM knowledge, a learning FAQ that speaks of
    certifications and interviews answers questions about them; the STPM
    entries beside it still don't."""
    retriever = _beside(tmp_path, monkeypatch, semantic, LEARNING_FAQ)
    result = retriever.ask("which certifications does the learning program pay for")
    assert "answered" == result.status
    assert "one exam a year" in result.answers[0].entry.answer
    result = retriever.ask("how do i practise for a program manager interview")
    assert "answered" == result.status
    assert "mock interview" in result.answers[0].entry.answer
    stpm = {e.id for e in loading.load(KNOWLEDGE_DIR).entries}
    for question in ("would a pmp help me get the senior tpm role",):
        best = retriever.ask(question).best
        assert best is None or best.entry.id not in stpm, question
