"""Schedule runs: their states, the record of one run, and the retry timing of a dispatch.
Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    PENDING = "pending"  # recorded, not dispatched yet
    RUNNING = "running"  # being dispatched (retries included)
    SUCCEEDED = "succeeded"  # the owning service accepted the task
    FAILED = "failed"
    SKIPPED_MISFIRE = "skipped_misfire"  # too late after its time, or superseded


# A run in these states is unfinished: leased by the process dispatching it.
ACTIVE = (RunStatus.PENDING, RunStatus.RUNNING)

CRON, MANUAL = "cron", "manual"  # triggers


@dataclass(frozen=True)
class ScheduleRun:
    id: int
    schedule_id: int | None  # None once the schedule is deleted (the run keeps its history)
    schedule_name: str
    task_type: str
    trigger: str  # cron | manual
    triggered_by: str
    scheduled_for: datetime
    status: RunStatus
    attempt: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    target_id: str  # the owning service's id of what it started (scan id, DQ run id)
    result: dict[str, Any] | None  # summary of the owning service's answer
    created_at: datetime | None

    @property
    def subject(self) -> str:
        """What its events are about: the schedule, or the run itself once that is gone."""
        if self.schedule_id is not None:
            return f"schedule:{self.schedule_id}"
        return f"schedule_run:{self.id}"


def backoff_delay(attempt: int, base: float, cap: float, jitter: float) -> float:
    """Delay after failed attempt `attempt` (1-based): base·2^(attempt-1), capped, then
    "equal jitter" (half fixed, half random with `jitter` in [0, 1]) so replicas spread out."""
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay / 2 + delay / 2 * jitter
