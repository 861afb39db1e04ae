from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.cli.chat import BANNER, PROMPT, Chat, run
from bot.cli.render import HELP
from bot.compose import Services

DAY = dt.date(2025, 1, 31)


def session(
    services: Services, lines: list[str], interactive: bool = False
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

    status = run(Chat(services, today=lambda: DAY), read, out.append, interactive)
    return status, out, prompts


def reply_to(services: Services) -> Callable[[str], str | None]:
    return Chat(services, today=lambda: DAY).respond


def test_a_session_answers_and_ends_at_quit(services: Services) -> None:
    """Questions are answered until quit; nothing after quit is read."""
    status, out, prompts = session(
        services, ["how important is cybersecurity for an stpm", "quit", "ignored"]
    )

    assert status == 0
    assert out[0] == BANNER
    assert out[1].startswith("Cybersecurity\n")
    assert len(out) == 2
    assert prompts == ["", ""]


def test_end_of_input_ends_the_chat(services: Services) -> None:
    """Ctrl-D (EOF) leaves the chat cleanly."""
    status, out, _ = session(services, [])

    assert status == 0
    assert out == [BANNER]


def test_the_prompt_is_shown_only_on_a_terminal(services: Services) -> None:
    """`you> ` is the prompt when a person is typing."""
    _, _, prompts = session(services, ["exit"], interactive=True)

    assert prompts == [PROMPT]


def test_commands_skill_tip_help(services: Services) -> None:
    """`/skill`, `/tip` and `help` answer without asking the retriever."""
    respond = reply_to(services)
    tip = respond("/tip") or ""

    assert (
        respond("/skill AI/ML")
        == "Artificial intelligence and machine learning: Medium"
    )
    assert "Cybersecurity: High" in (respond("/skill") or "").splitlines()
    assert (respond("/skill cooking") or "").startswith("No skill called 'cooking'.")
    assert tip.startswith("Tip for 2025-01-31: ")
    assert respond("help") == HELP


def test_show_opens_a_related_entry_like_a_button(services: Services) -> None:
    """`/show ID` and `/ID` open an entry, as clicking a related button does."""
    respond = reply_to(services)

    assert (respond("/show skill-cloud") or "").startswith("Cloud computing\n")
    assert respond("/skill-cloud") == respond("/show skill-cloud")
    assert (respond("/show nope") or "").startswith("No entry with id 'nope'.")
    assert (respond("/nope") or "").startswith("Unknown command /nope.")


def test_a_number_opens_a_suggestion(services: Services) -> None:
    """After 'Did you mean', typing its number opens that suggestion."""
    chat = Chat(services, choices=["skill-cloud", "skill-networking"])

    assert (chat.respond("2") or "").startswith("Networking and infrastructure\n")
    assert (chat.respond("3") or "").startswith("There is no suggestion 3")
