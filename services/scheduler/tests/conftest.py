"""Scheduler suite fixtures (defined in scheduler_testkit, importable by the test modules)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scheduler_testkit import catalog, clock, env, scheduler

__all__ = ["catalog", "clock", "env", "scheduler"]
