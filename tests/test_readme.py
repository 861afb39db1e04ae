"""The README tells the truth about commands and settings."""

from __future__ import annotations

import re
import subprocess

from bot.cli.main import parser
from bot.settings import Settings
from tests.conftest import ROOT

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
        else:
            names.append(str(alias.choices[0]))
    return names


def test_every_setting_is_documented() -> None:
    """Each setting's variable appears in the README's settings table."""
    assert [] == [n for n in env_names() if f"`{n}`" not in README]


def test_every_command_is_documented() -> None:
    """Each `stpm-bot` subcommand appears in the README."""
    commands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert [] == [c for c in commands if f"stpm-bot {c}" not in README]


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
