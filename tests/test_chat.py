from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.cli.chat import BANNER, PROMPT, Chat, run
from bot.cli.render import HELP
from bot.clock import Clock
from bot.compose import Core

DAY = dt.date(2025, 1, 31)
NOON = Clock.fixed(dt.datetime(2025, 1, 31, 12, tzinfo=dt.UTC))


def session(
    core: Core, lines: list[str], interactive: bool = False
) -> tuple[int, list[str], list[str]]:
    """Run a chat on `lines`; returns the exit status, output and prompts."""
    out: list[str] = []
    prompts: list[str] = []
    feed = iter(lines)

    def read(prompt: str) -> str:
        prompts.append(prompt)
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    status = run(Chat(core.answerer, core.library, NOON), read, out.append, interactive)
    return status, out, prompts


def reply_to(core: Core) -> Callable[[str], str | None]:
    return Chat(core.answerer, core.library, NOON).respond


def test_a_session_answers_and_ends_at_quit(core: Core) -> None:
    """Questions are answered until quit; nothing after quit is read."""
    status, out, prompts = session(
        core, ["how important is cybersecurity for an stpm", "quit", "ignored"]
    )

    assert status == 0
    assert out[0] == BANNER
    assert out[1].startswith("Cybersecurity\n")
    assert len(out) == 2
    assert prompts == ["", ""]


def test_end_of_input_ends_the_chat(core: Core) -> None:
    """Ctrl-D (EOF) leaves the chat cleanly."""
    status, out, _ = session(core, [])

    assert status == 0
    assert out == [BANNER]


def test_the_prompt_is_shown_only_on_a_terminal(core: Core) -> None:
    """`you> ` is the prompt when a person is typing."""
    _, _, prompts = session(core, ["exit"], interactive=True)

    assert prompts == [PROMPT]


def test_commands_skill_tip_help(core: Core) -> None:
    """`/skill`, `/tip` and `help` answer without asking the retriever."""
    respond = reply_to(core)
    tip = respond("/tip") or ""

    assert (
        respond("/skill AI/ML")
        == "Artificial intelligence and machine learning: Medium"
    )
    assert "Cybersecurity: High" in (respond("/skill") or "").splitlines()
    assert (respond("/skill cooking") or "").startswith("No skill called 'cooking'.")
    assert tip.startswith("Tip for 2025-01-31: ")
    assert respond("help") == HELP


def test_show_opens_a_related_entry_like_a_button(core: Core) -> None:
    """`/show ID` and `/ID` open an entry, as clicking a related button does."""
    respond = reply_to(core)

    assert (respond("/show skill-cloud") or "").startswith("Cloud computing\n")
    assert respond("/skill-cloud") == respond("/show skill-cloud")
    assert (respond("/show nope") or "").startswith("No entry with id 'nope'.")
    assert (respond("/nope") or "").startswith("Unknown command /nope.")


def test_a_number_opens_a_suggestion(core: Core) -> None:
    """After 'Did you mean', typing its number opens that suggestion."""
    chat = Chat(core.answerer, core.library, NOON, ["skill-cloud", "skill-networking"])

    assert (chat.respond("2") or "").startswith("Networking and infrastructure\n")
    assert "There is no suggestion 3: pick 1 to 2." == chat.respond("3")
    chat.respond("how important is cloud computing for an stpm")  # an answer
    assert "a number picks from a “did you mean” list" in (chat.respond("5") or "")


def test_tip_with_a_date_says_where_dates_go(core: Core) -> None:
    """`/tip 2025-13-01` is not today's tip in disguise: it says how."""
    said = reply_to(core)("/tip 2025-13-01") or ""
    assert "stpm-bot tip --date" in said


def test_thanks_and_bye_get_a_word_back_not_an_apology(core: Core) -> None:
    """A message that asks nothing gets a line back, no examples, no apology."""
    respond = reply_to(core)

    assert "You're welcome! Ask me anything else about the STPM role." == respond(
        "thanks, that helps!"
    )
    assert (respond("bye") or "").startswith("Bye!")
    assert "Sorry" not in (respond("cool") or "")


def test_the_topics_it_knows_are_listed_once_a_conversation(core: Core) -> None:
    """The first "I don't know" lists the topics; later ones point back to
    the list instead of repeating it."""
    chat = Chat(core.answerer, core.library, NOON)
    first = chat.respond("what is the wifi password") or ""
    second = chat.respond("who won the game last night") or ""
    assert "I can answer questions about:" in first
    assert "I can answer questions about:" not in second
    assert second.startswith("Sorry, I don't have an answer to that.")
    assert second.endswith("ask about one of the topics I listed above.")
