"""Quality suite fixtures (defined in quality_testkit, importable by the test modules)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from quality_testkit import stack

__all__ = ["stack"]
