"""Gateway suite fixtures (defined in gateway_testkit, importable by the test modules)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from gateway_auth_testkit import secured
from gateway_testkit import client, shop, stack

__all__ = ["client", "secured", "shop", "stack"]
