"""pytest's `testpaths` (pyproject.toml) name every test folder, so none is left out of
`make test`; the slow cross-service folders come first (the order xdist hands files out)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_folder_is_in_testpaths_slow_ones_first() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    testpaths: list[str] = options["ini_options"]["testpaths"]
    folders = {
        str(p.parent.relative_to(ROOT))
        for p in ROOT.glob("*/**/test_*.py")
        if ".venv" not in p.parts and "node_modules" not in p.parts
    }
    # A folder counts as covered when it, or a listed folder above it, is in testpaths.
    missing = sorted(
        f for f in folders if not any(f == t or f.startswith(t + "/") for t in testpaths)
    )
    assert missing == [], f"test folders outside pyproject.toml testpaths: {missing}"
    assert testpaths[:2] == ["tests/e2e", "tests/api"]
