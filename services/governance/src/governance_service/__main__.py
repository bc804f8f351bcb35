"""`python -m governance_service serve|migrate`."""

from __future__ import annotations

from dckit.service import main
from governance_service.app import build, migrate, start
from governance_service.config import GovernanceSettings

if __name__ == "__main__":
    main("governance", GovernanceSettings, build, start, migrate)
