"""docs/events.md matches the event catalogue, and every publisher names catalogued events."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from dckit.event_catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]


def test_events_reference_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "events_reference.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + " — run `make docs`"


def test_no_service_spells_a_subject_the_catalogue_lacks() -> None:
    """A subject literal in service code must be catalogued (consumers read docs/events.md)."""
    names = {e.name for e in CATALOGUE}
    literal = re.compile(r"[\"'](datacompass\.[a-z_]+\.[a-z_]+(?:\.[a-z_]+)?)[\"']")
    unknown = {}
    for path in (ROOT / "services").glob("*/src/**/*.py"):
        for match in literal.finditer(path.read_text()):
            name = match.group(1)
            if name not in names and not name.startswith("datacompass.notifier."):
                unknown[name] = str(path.relative_to(ROOT))
    assert unknown == {}
