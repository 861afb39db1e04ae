"""`stpm-bot`: the command line, a contract other tools rely on.

Every command builds the settings once, configures logging (stderr only, so
`--json` output stays clean) and builds the core through `bot.compose.build`.
A mistake in the settings exits 2 (a database URL no engine can be made for, a
Slack or a database that can't be reached or refuses the token included), in
the knowledge 1, anything unexpected 70 with one line for the user and the
details in the log: never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import gc
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import structlog
from dotenv import dotenv_values
from pydantic import ValidationError

from bot import compose, logs
from bot.cli import chat, commands, curation, jobs
from bot.cli.jobs import slack_problem
from bot.knowledge.loading import KnowledgeError
from bot.settings import Settings, unknown_settings
from bot.store.engine import DatabaseUrlError, shown

EX_USAGE = 2
EX_SOFTWARE = 70
EX_BROKEN_PIPE = 141  # 128 + SIGPIPE

Handler = Callable[[Settings, argparse.Namespace], int]


_YMD = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(text: str) -> dt.date:
    """A date written YYYY-MM-DD, as the help says (not 20270203 nor
    2027-W05-3, which `fromisoformat` would also take)."""
    try:
        if not _YMD.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2025-01-31"
        ) from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="stpm-bot", description="Slack FAQ bot for Senior TPMs, from the terminal."
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ask = sub.add_parser("ask", help="answer a question ('-': one per stdin line)")
    ask.add_argument("question", nargs="*", help="the question, or - for stdin")
    skill = sub.add_parser("skill", help="how important a technical skill is")
    skill.add_argument(
        "name", nargs="*", help="skill name or alias, quoted or not; none: all"
    )
    tip = sub.add_parser("tip", help="the tip of the day")
    tip.add_argument("--date", type=_date, help="YYYY-MM-DD (default: today)")
    for command in (ask, skill, tip):
        command.add_argument("--json", action="store_true", help="print JSON")
    sub.add_parser("chat", help="chat with the bot in the terminal")
    sub.add_parser("run", help="start the Slack app (or the chat if not set up)")
    validate = sub.add_parser(
        "validate", help="check the knowledge files, list every problem"
    )
    validate.add_argument(
        "--all-phrasings",
        action="store_true",
        help=f"ask every phrasing, even past {commands.PHRASING_CHECK_LIMIT:,}",
    )
    ingest = sub.add_parser("ingest", help="draft knowledge from a plain-text article")
    ingest.add_argument("article", type=Path)
    ingest.add_argument("--out", type=Path, help="default: KNOWLEDGE_DIR/<slug>.yaml")
    ingest.add_argument("--force", action="store_true", help="overwrite the file")
    post_tips = sub.add_parser("post-tips", help="post the daily tips due on a date")
    post_tips.add_argument("--date", type=_date, help="YYYY-MM-DD (default: today)")
    report = sub.add_parser("report", help="unanswered questions, 👎 and answer rates")
    report.add_argument("--since", type=_date, help="YYYY-MM-DD (default: all)")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.add_argument(
        "--post", action="store_true", help="also post it to the curators' channel"
    )
    knowledge = sub.add_parser(
        "knowledge", help="what curators taught in Slack: list it, write it"
    )
    taught = knowledge.add_subparsers(dest="action", required=True, metavar="ACTION")
    taught.add_parser("pending", help="list the changes waiting to be applied")
    taught.add_parser("apply", help="write them into the knowledge files, each checked")
    evaluate = sub.add_parser("eval", help="answer quality on a labelled question set")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--verbose", action="store_true", help="list the misses")
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    return top


# A setting whose value is never shown back: a token, a key, a password (a
# database URL may hold one).
_SECRET_WORDS = ("TOKEN", "SECRET", "KEY", "PASSWORD", "DATABASE_URL")


def settings_problems(error: ValidationError) -> list[str]:
    """One line per bad setting, named as it is set in the environment."""
    lines = []
    for err in error.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        info = Settings.model_fields.get(field)
        plain = info is not None and info.validation_alias is None
        if not field:  # a check of several settings: its message names them
            lines.append(f"stpm-bot: invalid settings: {err['msg']}")
            continue
        name = f"STPM_BOT_{field.upper()}" if plain else field
        secret = any(word in name for word in _SECRET_WORDS)
        value = "" if secret else f"={err.get('input')!r}"
        lines.append(f"stpm-bot: invalid setting {name}{value}: {err['msg']}")
    return lines


def _core(settings: Settings, counted: bool) -> compose.Core | int:
    """The core, or the exit status after saying why it can't be built."""
    try:
        return compose.build(settings, counted=counted)
    except DatabaseUrlError as exc:
        print(f"stpm-bot: {exc}", file=sys.stderr)
        return EX_USAGE
    except KnowledgeError as exc:
        errors = [p for p in exc.problems if not p.warning]
        print(
            f"stpm-bot: the knowledge in {settings.knowledge_dir} has "
            f"{len(errors)} problem(s); fix them and run `stpm-bot validate`:",
            file=sys.stderr,
        )
        for problem in errors:
            print(f"  {problem}", file=sys.stderr)
        return 1


def _with_core(
    command: Callable[[compose.Core, argparse.Namespace], int],
    *,
    counted: bool = False,
) -> Handler:
    """`command` with the core; `counted` ones record questions in the store."""

    def handler(settings: Settings, args: argparse.Namespace) -> int:
        core = _core(settings, counted)
        if isinstance(core, int):
            return core
        return command(core, args)

    return handler


def _chat(core: compose.Core, args: argparse.Namespace) -> int:
    settings = core.settings
    if "log_level" not in settings.model_fields_set:
        # A conversation in the terminal: per-question log lines are noise
        # there unless someone asked for them with STPM_BOT_LOG_LEVEL.
        logs.configure("WARNING", settings.log_format)
    return chat.run(chat.Chat.of(core), interactive=sys.stdin.isatty())


def _reloading(core: compose.Core) -> None:
    if core.settings.reload_interval:
        core.reloader().start()


def _run(core: compose.Core, args: argparse.Namespace) -> int:
    """Serve Slack once every check passed (the reloader started only then),
    or the terminal chat when nothing of Slack is set."""
    settings = core.settings
    missing = settings.missing_slack_settings()
    some = (
        settings.slack_bot_token
        or settings.slack_app_token
        or settings.slack_signing_secret
    )
    if missing and some:
        print(
            f"stpm-bot: Slack is half configured: set {' and '.join(missing)} "
            "too (or unset the Slack variables for the terminal chat). See README "
            "'Slack app'.",
            file=sys.stderr,
        )
        return EX_USAGE
    if missing:
        if not sys.stdin.isatty():
            print(
                "stpm-bot: no Slack settings (SLACK_BOT_TOKEN and SLACK_APP_TOKEN or "
                "SLACK_SIGNING_SECRET) and no terminal for the chat: set them to "
                "serve Slack. See README 'Slack app'.",
                file=sys.stderr,
            )
            return EX_USAGE
        print(
            "Slack is not configured; starting the terminal chat. "
            "See README 'Slack app'.",
            file=sys.stderr,
        )
        _reloading(core)
        return _chat(core, args)
    if not core.recording:  # the store could not be opened
        print(
            f"stpm-bot: cannot reach the database "
            f"{shown(settings.resolved_database_url)}; the Slack app needs it "
            "to answer each event once (STPM_BOT_DATABASE_URL).",
            file=sys.stderr,
        )
        return EX_USAGE
    problem = slack_problem(core)
    if problem:
        print(f"stpm-bot: {problem}", file=sys.stderr)
        return EX_USAGE
    # Only here: the terminal commands don't need Bolt.
    from bot.slack.app import serve
    from bot.slack.http import CannotListen

    _reloading(core)
    try:
        serve(core)
    except CannotListen as problem:
        print(f"stpm-bot: {problem}", file=sys.stderr)
        return EX_USAGE
    return 0


KNOWLEDGE: dict[str, Handler] = {"pending": curation.pending, "apply": curation.apply}
HANDLERS: dict[str, Handler] = {
    "ask": _with_core(commands.ask, counted=True),
    "skill": _with_core(commands.skill),
    "tip": _with_core(commands.tip),
    "chat": _with_core(_chat, counted=True),
    "run": _with_core(_run, counted=True),
    "eval": _with_core(commands.evaluate),
    "post-tips": _with_core(jobs.post_tips),
    "report": _with_core(jobs.report),
    "validate": commands.validate,
    "ingest": commands.ingest,
    "knowledge": lambda settings, args: KNOWLEDGE[args.action](settings, args),
}


ENV_FILE = ".env"  # as `Settings` reads it: in the working directory


def _env_file_names() -> dict[str, str]:
    """The names `.env` sets (its values are the settings' to read)."""
    if not Path(ENV_FILE).is_file():
        return {}
    parser = logging.getLogger("dotenv.main")
    quiet, parser.disabled = parser.disabled, True  # it warned once already
    try:
        return dict.fromkeys(dotenv_values(ENV_FILE), "")
    finally:
        parser.disabled = quiet


def _start(args: argparse.Namespace) -> int:
    logs.configure()  # until the settings are read: anything logged goes to stderr
    try:
        settings = Settings()
    except ValidationError as exc:
        print("\n".join(settings_problems(exc)), file=sys.stderr)
        return EX_USAGE
    except UnicodeDecodeError as exc:  # only .env is read as a file here
        print(
            f"stpm-bot: {ENV_FILE} in {Path.cwd()} is not UTF-8 text (byte "
            f"{exc.start}): fix or remove it",
            file=sys.stderr,
        )
        return EX_USAGE
    for line in unknown_settings({**_env_file_names(), **os.environ}):
        print(line, file=sys.stderr)
    logs.configure(settings.log_level, settings.log_format)
    return HANDLERS[args.command](settings, args)


def safely(command: Callable[[], int]) -> int:
    """Run `command`; whatever goes wrong, the user gets one line, not a traceback."""
    try:
        return command()
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`stpm-bot ask - | head`): stop quietly, and
        # say so in the status as a process stopped by SIGPIPE would (a
        # pipeline with `set -o pipefail` then knows the output was cut).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EX_BROKEN_PIPE
    except OSError as exc:
        if exc.errno not in _FULL:
            return _crashed(exc)
        # A full disk (or quota, or a size limit): the output or a file the
        # command writes could not be written; nothing more is tried.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(
            f"stpm-bot: cannot write ({exc.strerror or exc}): free some space, "
            "or send the output elsewhere",
            file=sys.stderr,
        )
        return EX_IOERR
    except Exception as exc:
        return _crashed(exc)


# What a write that can't be made says: no space, no quota, a size limit.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
EX_IOERR = 74  # sysexits.h: an error writing the output


def _crashed(exc: Exception) -> int:
    """Anything else: one line for the person, the traceback in the log
    (called while `exc` is handled)."""
    # One line: a driver's error may bring the statement and its values.
    said = (str(exc).splitlines() or [""])[0][:200]
    what = f"{type(exc).__name__}: {said}"
    # The traceback goes to the JSON log for whoever runs the service; a
    # person at a terminal gets one line.
    structlog.get_logger().error(
        "cli.crashed", error=what, exc_info=not sys.stderr.isatty()
    )
    print(f"stpm-bot: internal error: {what} (details logged)", file=sys.stderr)
    return EX_SOFTWARE


def _closed_streams_to_devnull() -> None:
    """A standard stream the caller closed (`2>&-`, `<&-`) is None to
    Python: it reads nothing and swallows what is written, so the command
    says what it would say, not an AttributeError."""
    nowhere = Path(os.devnull)
    if sys.stdin is None:
        sys.stdin = nowhere.open(encoding="utf-8")
    if sys.stdout is None:
        sys.stdout = nowhere.open("w", encoding="utf-8")
    if sys.stderr is None:
        sys.stderr = nowhere.open("w", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    _closed_streams_to_devnull()
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    args = parser().parse_args(argv)
    return safely(lambda: _start(args))


def run() -> NoReturn:
    """The program (`stpm-bot`, `python -m bot`): `main`, then exit with its
    status."""
    status = main()
    # The interpreter's exit would run the cyclic GC over every object the
    # command made (the modules, the knowledge, the model), pass after pass,
    # for nothing: the process is ending (about 0.3 s of the 1.2 of `ask`).
    # Frozen, they are left to the exit itself.
    gc.freeze()
    raise SystemExit(status)
