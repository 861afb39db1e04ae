"""The README tells the truth about commands and settings."""

from __future__ import annotations

import argparse
import re
import subprocess

from pydantic import AliasChoices

from bot.cli.main import parser
from bot.settings import Settings
from tests.support.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def env_names() -> list[str]:
    """Every environment variable a setting is read from."""
    names = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            names.append(f"STPM_BOT_{name.upper()}")
        elif isinstance(alias, str):
            names.append(alias)
        elif isinstance(alias, AliasChoices):
            names.append(str(alias.choices[0]))
    return names


def table(heading: str) -> list[list[str]]:
    """The rows (cells, stripped) of the first table under `## heading`."""
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", r)[1:-1]] for r in rows[1:]]


def shown(default: object) -> str | None:
    """How the settings table writes a scalar default; None: not checked."""
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    if isinstance(default, int | float) or (isinstance(default, str) and default):
        return f"`{default}`"
    if default in ("", ()):
        return "empty"
    return None


def test_the_settings_table_is_the_settings_model() -> None:
    """One row per setting, no row for a setting that doesn't exist, and each
    scalar default as the model has it."""
    rows = {row[0].strip("`"): row[1] for row in table("Settings")}
    assert sorted(env_names()) == sorted(rows)
    for name, field in Settings.model_fields.items():
        env = env_names()[list(Settings.model_fields).index(name)]
        expected = shown(field.default)
        if expected is not None:
            assert expected == rows[env], env


def subcommands() -> dict[str, argparse.ArgumentParser]:
    for action in parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("stpm-bot has no subcommands")


def test_the_command_table_is_the_parser() -> None:
    """Every subcommand has a row, and each row names exactly its options."""
    options: dict[str, set[str]] = {}
    for row in table("Command line"):
        name = row[0].strip("`").split()[1]
        options.setdefault(name, set()).update(re.findall(r"--[a-z-]+", " ".join(row)))
    commands = subcommands()
    assert sorted(commands) == sorted(options)
    for name, sub in commands.items():
        flags = {
            o for a in sub._actions for o in a.option_strings if o.startswith("--")
        }
        assert flags - {"--help"} == options[name], name


def test_the_make_targets_the_readme_gives_exist() -> None:
    """`make run` and `make test` are real targets, and CI calls `make test`."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_no_placeholder_is_left() -> None:
    """Figures in the README were filled in, not left as markers."""
    assert not re.search(r"\b[A-Z]+_(TABLE|FIGURES)\b|\bPERFORMANCE\n", README)


def test_the_make_dry_run_of_test_lints_typechecks_and_tests() -> None:
    """`make -n test` runs ruff, mypy and pytest."""
    plan = subprocess.run(
        ["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for tool in ("ruff check", "mypy bot", "pytest"):
        assert tool in plan
