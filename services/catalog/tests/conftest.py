"""Catalog suite fixtures (defined in catalog_testkit, importable by the test modules)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from catalog_testkit import (
    catalog_db,
    service,
    settings,
    source_db,
    stub,
)

__all__ = ["catalog_db", "service", "settings", "source_db", "stub"]
