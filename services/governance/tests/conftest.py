"""Governance suite fixtures (defined in governance_testkit, importable by the test modules)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from governance_testkit import catalogued, governance

__all__ = ["catalogued", "governance"]
