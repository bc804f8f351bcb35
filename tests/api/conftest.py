"""Cross-service REST tests: one stack per pytest session (per xdist worker), fixtures in
api_testkit (importlib mode does not put test folders on sys.path, so this does)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest
from api_testkit import client, secured, session_secured, shop, stack

__all__ = ["client", "credentials_of_the_test", "secured", "session_secured", "shop", "stack"]


@pytest.fixture(autouse=True)
def credentials_of_the_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`datacompass auth login` saves a token; a later test's anonymous CLI must not use it."""
    monkeypatch.setenv("DATACOMPASS_CREDENTIALS_FILE", str(tmp_path / "credentials.json"))
