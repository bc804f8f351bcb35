"""What the scheduler needs from the outside world: a way to hand a task to the service that
owns it. Transport-free; the gRPC adapter lives in scheduler_service.adapters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Dispatched:
    target_id: str  # the owning service's id of what it started (scan id, DQ run id)
    summary: dict[str, Any] = field(default_factory=dict)


class DispatchFailed(Exception):
    """The owning service refused or could not be reached; `transient` says a retry may work."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


class TaskDispatcher(Protocol):
    async def dispatch(self, task_type: str, params: Mapping[str, Any]) -> Dispatched:
        """Start the task at its owning service; raises DispatchFailed."""
        ...
