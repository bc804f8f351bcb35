"""Notifier suite fixtures (defined in notifier_testkit, importable by the test modules)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from notifier_testkit import env, sink, smtp

__all__ = ["env", "sink", "smtp"]
