"""docs/deployment.md's configuration reference matches the settings classes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_reference_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "config_reference.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + " — run `make docs`"


def test_every_setting_is_described() -> None:
    text = (ROOT / "docs" / "deployment.md").read_text()
    section = text.split("config-reference:begin")[1].split("config-reference:end")[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows, "empty configuration reference"
    undocumented = [r for r in rows if r.rstrip().endswith("|  |")]
    assert undocumented == []
