"""Reading the JSON log lines a test captured."""

from __future__ import annotations

import io
import json
from typing import Any


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """The JSON log lines written so far."""
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]
