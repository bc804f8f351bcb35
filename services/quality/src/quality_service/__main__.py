"""`python -m quality_service serve|migrate`."""

from __future__ import annotations

from dckit.service import main
from quality_service.app import build, migrate, start
from quality_service.config import QualitySettings

if __name__ == "__main__":
    main("quality", QualitySettings, build, start, migrate)
