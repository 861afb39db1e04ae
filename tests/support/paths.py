"""Where the repository's files are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_DIR = ROOT / "knowledge"
FIXTURES = ROOT / "tests" / "fixtures"
EVAL = ROOT / "tests" / "eval"
HUMAN_CONTACT = "#stpm-guild"
