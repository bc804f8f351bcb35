"""`python -m scheduler_service serve|migrate`."""

from __future__ import annotations

from dckit.service import main
from scheduler_service.app import build, migrate, start
from scheduler_service.config import SchedulerSettings

if __name__ == "__main__":
    main("scheduler", SchedulerSettings, build, start, migrate)
