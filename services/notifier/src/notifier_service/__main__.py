"""`python -m notifier_service serve|migrate`."""

from __future__ import annotations

from dckit.service import main
from notifier_service.app import build, migrate, start
from notifier_service.config import NotifierSettings

if __name__ == "__main__":
    main("notifier", NotifierSettings, build, start, migrate)
