"""Cross-service REST tests: one stack per pytest session (per xdist worker), fixtures in
api_testkit (importlib mode does not put test folders on sys.path, so this does)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from api_testkit import client, secured, session_secured, shop, stack

__all__ = ["client", "secured", "session_secured", "shop", "stack"]
