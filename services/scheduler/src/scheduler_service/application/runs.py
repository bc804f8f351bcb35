"""Firing and dispatching runs. Every replica polls; a due schedule is claimed with
`FOR UPDATE SKIP LOCKED` so one replica fires each slot, and the unique (schedule_id,
scheduled_for) constraint is the last guard. The claim transaction records the run and advances
next_run_at; the dispatch to the owning service happens after commit, in the background, with
retries and backoff for transient failures.

An unfinished run is leased (dckit.leases): the process dispatching it renews its heartbeat;
every replica fails runs whose heartbeat went stale (their process died mid-dispatch), and a
process shutting down fails its own unfinished runs at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dckit import context, event_catalogue
from dckit.clock import Clock
from dckit.errors import Conflict, NotFound
from dckit.leases import PREVIOUS_STATUS
from dckit.paging import paginate
from dckit.uow import Entity, Event
from scheduler_service.application.ports import (
    DispatchFailed,
    Owners,
    RunEvent,
    RunLeases,
    Transactions,
    UnitOfWork,
)
from scheduler_service.application.schedules import require_schedule
from scheduler_service.application.tasks import TaskTypes
from scheduler_service.domain import schedules as rules
from scheduler_service.domain.runs import CRON, MANUAL, RunStatus, ScheduleRun, backoff_delay
from scheduler_service.domain.schedules import Schedule

log = logging.getLogger(__name__)

STALE = "the process dispatching it stopped (no heartbeat)"
SHUT_DOWN = "the scheduler process dispatching it shut down"
SCHEDULE_DELETED = "its schedule was deleted before the dispatch"


@dataclass(frozen=True)
class Retry:
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 60.0


@dataclass(frozen=True)
class _Task:
    run_id: int
    task_type: str
    params: Mapping[str, Any]
    max_attempts: int

    @classmethod
    def of(cls, run_id: int, schedule: Schedule) -> _Task:
        return cls(run_id, schedule.task_type, schedule.params, schedule.max_attempts)


def _run_entity(run_id: int) -> Entity:
    return Entity("schedule_run", run_id)


class RunUseCases:
    def __init__(
        self,
        tx: Transactions,
        tasks: TaskTypes,
        owners: Owners,
        run_event: RunEvent,
        leases: RunLeases,
        *,
        clock: Clock,
        retry: Retry = Retry(),
        poll_interval_seconds: float = 5.0,
        claim_batch_size: int = 50,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.tx, self.tasks, self.owners = tx, tasks, owners
        self.run_event = run_event
        self.leases = leases
        self.clock = clock
        self.retry = retry
        self.poll_interval = poll_interval_seconds
        self.batch = claim_batch_size
        self.jitter = jitter
        # Hooks for telemetry and the relay (set by the wiring).
        self.on_fired: Callable[[ScheduleRun, datetime], None] = lambda run, started: None
        self.on_finished: Callable[[ScheduleRun], None] = lambda run: None

    # ------------------------------------------------------------ the poller
    async def worker(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                while len(await self.tick()) >= self.batch:
                    pass  # a full batch: more may be due right now
            except Exception:  # a database hiccup must not stop the scheduler
                log.exception("scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_interval)

    async def tick(self) -> list[int]:
        """Claim the due schedules, record their runs, advance them; then dispatch. Returns the
        ids of the runs recorded (fired or skipped)."""
        now = self.clock()
        recorded: list[int] = []
        fire: list[_Task] = []
        skipped: list[int] = []
        async with self.tx() as uow:
            for schedule in await uow.schedules.claim_due(now, self.batch):
                due = schedule.next_run_at
                assert due is not None  # claimed because it is due
                slot = rules.latest_due(schedule.cron, schedule.timezone, due, now)
                if slot != due:
                    # Slots were missed (no replica ran): only the newest may still fire.
                    run_id = await self._record(
                        uow,
                        schedule,
                        due,
                        status=RunStatus.SKIPPED_MISFIRE,
                        error=f"missed: superseded by the run of {slot.isoformat()}",
                    )
                    if run_id is not None:
                        recorded.append(run_id)
                        skipped.append(run_id)
                late = rules.is_misfire(slot, now, schedule.misfire_grace_seconds)
                status = RunStatus.SKIPPED_MISFIRE if late else RunStatus.PENDING
                error = (
                    f"misfire: {(now - slot).total_seconds():.0f}s late, grace is "
                    f"{schedule.misfire_grace_seconds}s"
                    if late
                    else ""
                )
                run_id = await self._record(uow, schedule, slot, status=status, error=error)
                await uow.schedules.update(
                    schedule.id,
                    {
                        "next_run_at": rules.next_fire(schedule.cron, schedule.timezone, now),
                        "last_run_at": slot,
                    },
                )
                if run_id is None:
                    continue  # another claim already recorded this slot
                recorded.append(run_id)
                if late:
                    skipped.append(run_id)
                else:
                    fire.append(_Task.of(run_id, schedule))
        for run_id in skipped:
            self.on_finished(await self.get(run_id))
        for task in fire:
            self._spawn(task)
        return recorded

    async def _record(
        self,
        uow: UnitOfWork,
        schedule: Schedule,
        slot: datetime,
        *,
        status: RunStatus,
        error: str = "",
        trigger: str = CRON,
    ) -> int | None:
        final = status == RunStatus.SKIPPED_MISFIRE
        run_id = await uow.runs.insert(
            {
                "schedule_id": schedule.id,
                "schedule_name": schedule.name,
                "task_type": schedule.task_type,
                "trigger": trigger,
                "triggered_by": context.current().actor,
                "scheduled_for": slot,
                "status": status,
                "error": error,
                "finished_at": self.clock() if final else None,
                **self.leases.stamp(),  # the lease starts now
            }
        )
        if run_id is not None:
            await uow.record_change(
                "schedule.run" if trigger == MANUAL else "schedule.fire",
                _run_entity(run_id),
                None,
                {"schedule_id": schedule.id, "scheduled_for": slot, "status": status.value},
            )
        return run_id

    # ------------------------------------------------------------ manual runs
    async def run_now(self, schedule_id: int, *, wait: bool = False) -> ScheduleRun:
        async with self.tx() as uow:
            schedule = await require_schedule(uow.schedules, schedule_id)
            run_id = await self._record(
                uow, schedule, self.clock(), status=RunStatus.PENDING, trigger=MANUAL
            )
            if run_id is None:
                raise Conflict(f"schedule {schedule_id} already has a run for this instant")
        task = self._spawn(_Task.of(run_id, schedule))
        if wait:
            await asyncio.shield(task)
        return await self.get(run_id)

    # ------------------------------------------------------------ dispatch
    def _spawn(self, task: _Task) -> asyncio.Task[None]:
        running = asyncio.create_task(self._execute(task), name=f"schedule-run-{task.run_id}")
        self.leases.hold(task.run_id, running)
        return running

    async def _execute(self, task: _Task) -> None:
        attempt = 0
        while True:
            attempt += 1
            values: dict[str, Any] = {"status": RunStatus.RUNNING, "attempt": attempt}
            if attempt == 1:
                values["started_at"] = self.clock()
            async with self.tx() as uow:
                if not await uow.runs.update_active(task.run_id, values):
                    return  # it ended meanwhile (failed as stale, or on shutdown)
                run = await uow.runs.get(task.run_id)
            if run is None or run.schedule_id is None:
                await self._finish(task.run_id, RunStatus.FAILED, error=SCHEDULE_DELETED)
                return
            if attempt == 1:
                self.on_fired(run, values["started_at"])
            try:
                done = await self.tasks.dispatch(self.owners, task.task_type, task.params)
            except DispatchFailed as exc:
                if exc.transient and attempt < task.max_attempts:
                    delay = backoff_delay(
                        attempt,
                        self.retry.backoff_seconds,
                        self.retry.backoff_max_seconds,
                        self.jitter(),
                    )
                    log.warning(
                        "run %s attempt %s failed (%s); retrying in %.2fs",
                        task.run_id, attempt, exc.message, delay,
                    )  # fmt: skip
                    await asyncio.sleep(delay)
                    continue
                kind = "transient" if exc.transient else "permanent"
                error = f"{exc.message} ({kind}, attempt {attempt})"
                await self._finish(task.run_id, RunStatus.FAILED, error=error)
                return
            except Exception as exc:  # a bug must fail the run, not leave it running
                log.exception("dispatching run %s failed", task.run_id)
                await self._finish(task.run_id, RunStatus.FAILED, error=f"internal error: {exc}")
                return
            await self._finish(
                task.run_id, RunStatus.SUCCEEDED, target_id=done.target_id, result=done.summary
            )
            return

    async def _finish(
        self,
        run_id: int,
        status: RunStatus,
        *,
        error: str = "",
        target_id: str = "",
        result: dict[str, Any] | None = None,
    ) -> None:
        values = {
            "status": status,
            "error": error,
            "target_id": target_id,
            "result": result,
            "finished_at": self.clock(),
        }
        async with self.tx() as uow:
            if not await uow.runs.update_active(run_id, values):
                return  # already ended (failed as stale): that outcome stands
            run = await uow.runs.get(run_id)
            assert run is not None
            await self._ended(uow, run, RunStatus.RUNNING)
        self.on_finished(run)

    async def _ended(self, uow: UnitOfWork, run: ScheduleRun, previous: str) -> None:
        """Audit record and event of a run that just ended (same transaction)."""
        kind = (
            event_catalogue.SCHEDULE_RUN_COMPLETED
            if run.status == RunStatus.SUCCEEDED
            else event_catalogue.SCHEDULE_RUN_FAILED
        )
        # Runs outlive their schedule; such a run's events are about the run itself.
        await uow.record_change(
            "schedule_run.finish",
            _run_entity(run.id),
            {"status": previous, "error": "", "target_id": ""},
            {"status": run.status.value, "error": run.error, "target_id": run.target_id},
            event=Event(kind, run.subject, self.run_event(run)),
        )

    # ------------------------------------------------------------ leases
    async def keep_leases(self, stop: asyncio.Event) -> None:
        """Worker: renew the leases of this process's runs, fail other processes' stale runs."""
        await self.leases.upkeep(stop, reason=STALE)

    async def recover_stale(self) -> Sequence[Mapping[str, Any]]:
        """Fail the runs whose process stopped heart-beating (any replica may do it)."""
        return await self.leases.sweep(STALE)

    async def drain(self, grace_seconds: float = 5.0) -> None:
        """On shutdown: let in-flight dispatches end, cancel the rest, and fail them now rather
        than leaving them for another replica's stale timeout."""
        try:
            await self.leases.drain(grace_seconds, reason=SHUT_DOWN)
        except Exception:  # the database is gone too: the stale sweep of a replica will do it
            log.exception("failing this process's unfinished runs on shutdown failed")

    async def lost(self, uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> None:
        """Leases' `on_lost`: runs just failed as stale or on shutdown, in that transaction."""
        for row in rows:
            run = await uow.runs.get(row["id"])
            assert run is not None
            log.warning("schedule run %s failed: %s", run.id, run.error)
            await self._ended(uow, run, row[PREVIOUS_STATUS])
            # Before the commit: the relay's poll covers a wake-up that comes too early.
            self.on_finished(run)

    # ------------------------------------------------------------ reads
    async def get(self, run_id: int) -> ScheduleRun:
        async with self.tx() as uow:
            run = await uow.runs.get(run_id)
        if run is None:
            raise NotFound(f"schedule run {run_id} does not exist")
        return run

    async def page(
        self, *, schedule_id: int, status: str, limit: int, cursor: str
    ) -> tuple[list[ScheduleRun], str]:
        """`status` "" = every status."""
        async with self.tx() as uow:
            if schedule_id:
                await require_schedule(uow.schedules, schedule_id)
            return await paginate(
                limit,
                cursor,
                lambda offset, count: uow.runs.page(
                    schedule_id=schedule_id, status=status, offset=offset, limit=count
                ),
            )
