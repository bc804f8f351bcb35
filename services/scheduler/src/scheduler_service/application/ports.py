"""What the scheduler's use cases need from outside, as protocols: its unit of work (stores of
schedules and runs, audit and events), the services that own the tasks, the run leases and the
event payload of a run. app.py wires the implementations (db, adapters, dckit.leases)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from google.protobuf.message import Message

from dckit.leases import RunLeases as RunLeases  # the port use cases take (re-exported)
from dckit.uow import RecordsChanges
from scheduler_service.domain.runs import ScheduleRun
from scheduler_service.domain.schedules import Schedule


class ScheduleStore(Protocol):
    async def insert(self, values: Mapping[str, Any]) -> Schedule: ...
    async def get(self, schedule_id: int, *, for_update: bool = False) -> Schedule | None: ...
    async def page(self, *, task_type: str, offset: int, limit: int) -> list[Schedule]: ...
    async def update(self, schedule_id: int, values: Mapping[str, Any]) -> Schedule: ...
    async def delete(self, schedule_id: int) -> None: ...
    async def claim_due(self, now: datetime, limit: int) -> list[Schedule]:
        """Due enabled schedules, locked; those another replica holds are skipped."""
        ...


class RunStore(Protocol):
    async def insert(self, values: Mapping[str, Any]) -> int | None:
        """The new run's id, or None when that slot of the schedule already has a run."""
        ...

    async def get(self, run_id: int) -> ScheduleRun | None: ...
    async def update_active(self, run_id: int, values: Mapping[str, Any]) -> bool:
        """Update a run still unfinished; False when it has ended meanwhile."""
        ...

    async def page(
        self, *, schedule_id: int, status: str, offset: int, limit: int
    ) -> list[ScheduleRun]: ...


class UnitOfWork(RecordsChanges, Protocol):
    @property
    def schedules(self) -> ScheduleStore: ...
    @property
    def runs(self) -> RunStore: ...


Transactions = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
RunEvent = Callable[[ScheduleRun], Message]  # the payload of a run's finished event


# ---------------------------------------------------------------- the owning services


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


class Owners(Protocol):
    """The services that own the tasks; every call raises DispatchFailed when it fails."""

    async def start_scan(self, *, source_name: str) -> Dispatched: ...
    async def start_dq_run(self, *, object_ref: str, days: int) -> Dispatched: ...
    async def run_checks(self, *, object_ref: str) -> Dispatched: ...
