"""e2e fixtures live in test_stack.py; this makes the helper modules beside it importable
(pytest runs in importlib mode, which does not put test folders on sys.path)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
