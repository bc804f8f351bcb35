"""Firing and dispatching runs. Every replica polls; a due schedule is claimed with
`FOR UPDATE SKIP LOCKED` so one replica fires each slot, and the unique (schedule_id,
scheduled_for) constraint is the last guard. The claim transaction records the run and advances
next_run_at; the dispatch to the owning service happens after commit, in the background, with
retries and backoff for transient failures.

An unfinished run is leased: the process dispatching it (`worker`) renews its heartbeat; every
replica fails runs whose heartbeat went stale (their process died mid-dispatch), and a process
shutting down fails its own unfinished runs at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from dckit import context
from dckit.db import Database
from dckit.errors import Conflict, InvalidArgument, NotFound
from dckit.outbox import Outbox
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from scheduler_service.application.ports import DispatchFailed, TaskDispatcher
from scheduler_service.application.schedules import Clock, require_schedule
from scheduler_service.db.repository import Row, SchedulerRepository
from scheduler_service.domain import schedules as rules

log = logging.getLogger(__name__)

RUN_STATUSES = ("pending", "running", "succeeded", "failed", "skipped_misfire")
COMPLETED = "datacompass.scheduler.run.completed"
FAILED = "datacompass.scheduler.run.failed"
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


class RunUseCases:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        dispatcher: TaskDispatcher,
        run_event: Callable[[Row], Message],
        *,
        clock: Clock,
        worker: str,
        heartbeat_seconds: float = 5.0,
        stale_seconds: float = 60.0,
        retry: Retry = Retry(),
        poll_interval_seconds: float = 5.0,
        claim_batch_size: int = 50,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.db, self.outbox, self.dispatcher = db, outbox, dispatcher
        self.run_event = run_event
        self.clock = clock
        self.retry = retry
        self.poll_interval = poll_interval_seconds
        self.batch = claim_batch_size
        self.jitter = jitter
        # Leases: this process renews its runs every `heartbeat_seconds`; a run not renewed for
        # `stale_seconds` belongs to a dead process and any replica fails it.
        self.worker_id = worker
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_seconds = stale_seconds
        self._tasks: dict[asyncio.Task[None], int] = {}  # dispatch task -> run id
        # Hooks for telemetry and the relay (set by the wiring).
        self.on_fired: Callable[[Row, datetime], None] = lambda run, started: None
        self.on_finished: Callable[[Row], None] = lambda run: None

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
        async with self.db.session() as session:
            repo = SchedulerRepository(session)
            for schedule in await repo.claim_due(now, self.batch):
                due: datetime = schedule["next_run_at"]
                slot = rules.latest_due(schedule["cron"], schedule["timezone"], due, now)
                if slot != due:
                    # Slots were missed (no replica ran): only the newest may still fire.
                    run_id = await self._record(
                        repo, schedule, due, "skipped_misfire",
                        f"missed: superseded by the run of {slot.isoformat()}",
                    )  # fmt: skip
                    if run_id is not None:
                        recorded.append(run_id)
                        skipped.append(run_id)
                late = rules.is_misfire(slot, now, schedule["misfire_grace_seconds"])
                status = "skipped_misfire" if late else "pending"
                error = (
                    f"misfire: {(now - slot).total_seconds():.0f}s late, grace is "
                    f"{schedule['misfire_grace_seconds']}s"
                    if late
                    else ""
                )
                run_id = await self._record(repo, schedule, slot, status, error)
                await repo.update_schedule(
                    schedule["id"],
                    {
                        "next_run_at": rules.next_fire(schedule["cron"], schedule["timezone"], now),
                        "last_run_at": slot,
                    },
                )
                if run_id is None:
                    continue  # another claim already recorded this slot
                recorded.append(run_id)
                if late:
                    skipped.append(run_id)
                else:
                    fire.append(
                        _Task(
                            run_id,
                            schedule["task_type"],
                            schedule["params"],
                            schedule["max_attempts"],
                        )
                    )
        for run_id in skipped:
            await self._notify_finished(run_id)
        for task in fire:
            self._spawn(task)
        return recorded

    async def _record(
        self,
        repo: SchedulerRepository,
        schedule: Row,
        slot: datetime,
        status: str,
        error: str,
        *,
        trigger: str = "cron",
    ) -> int | None:
        now = self.clock()
        final = status == "skipped_misfire"
        run_id = await repo.insert_run(
            {
                "schedule_id": schedule["id"],
                "schedule_name": schedule["name"],
                "task_type": schedule["task_type"],
                "trigger": trigger,
                "triggered_by": context.current().actor,
                "scheduled_for": slot,
                "status": status,
                "error": error,
                "finished_at": now if final else None,
                "worker": self.worker_id,  # the lease starts now (heartbeat_at defaults to now())
            }
        )
        if run_id is not None:
            await self.outbox.audit(
                repo.s,
                action="schedule.run" if trigger == "manual" else "schedule.fire",
                entity_type="schedule_run",
                entity_id=run_id,
                changes={
                    "schedule_id": (None, schedule["id"]),
                    "scheduled_for": (None, slot),
                    "status": (None, status),
                },
            )
        return run_id

    # ------------------------------------------------------------ manual runs
    async def run_now(self, schedule_id: int, *, wait: bool = False) -> Row:
        async with self.db.session() as session:
            repo = SchedulerRepository(session)
            schedule = await require_schedule(repo, schedule_id)
            run_id = await self._record(
                repo, schedule, self.clock(), "pending", "", trigger="manual"
            )
            if run_id is None:
                raise Conflict(f"schedule {schedule_id} already has a run for this instant")
        task = self._spawn(
            _Task(run_id, schedule["task_type"], schedule["params"], schedule["max_attempts"])
        )
        if wait:
            await asyncio.shield(task)
        return await self.get(run_id)

    # ------------------------------------------------------------ dispatch
    def _spawn(self, task: _Task) -> asyncio.Task[None]:
        running = asyncio.create_task(self._execute(task), name=f"schedule-run-{task.run_id}")
        self._tasks[running] = task.run_id
        running.add_done_callback(lambda done: self._tasks.pop(done, None))
        return running

    async def _execute(self, task: _Task) -> None:
        attempt = 0
        while True:
            attempt += 1
            values: dict[str, Any] = {"status": "running", "attempt": attempt}
            if attempt == 1:
                values["started_at"] = self.clock()
            async with self.db.session() as session:
                repo = SchedulerRepository(session)
                if not await repo.update_active_run(task.run_id, values):
                    return  # it ended meanwhile (failed as stale, or on shutdown)
                run = await repo.get_run(task.run_id)
            if run is None or run["schedule_id"] is None:
                await self._finish(task.run_id, "failed", error=SCHEDULE_DELETED)
                return
            if attempt == 1:
                self.on_fired(run, values["started_at"])
            try:
                done = await self.dispatcher.dispatch(task.task_type, task.params)
            except DispatchFailed as exc:
                if exc.transient and attempt < task.max_attempts:
                    delay = rules.backoff_delay(
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
                await self._finish(
                    task.run_id, "failed", error=f"{exc.message} ({kind}, attempt {attempt})"
                )
                return
            except Exception as exc:  # a bug must fail the run, not leave it running
                log.exception("dispatching run %s failed", task.run_id)
                await self._finish(task.run_id, "failed", error=f"internal error: {exc}")
                return
            await self._finish(
                task.run_id, "succeeded", target_id=done.target_id, result=done.summary
            )
            return

    async def _finish(
        self,
        run_id: int,
        status: str,
        *,
        error: str = "",
        target_id: str = "",
        result: dict[str, Any] | None = None,
    ) -> None:
        async with self.db.session() as session:
            repo = SchedulerRepository(session)
            values = {
                "status": status,
                "error": error,
                "target_id": target_id,
                "result": result,
                "finished_at": self.clock(),
            }
            if not await repo.update_active_run(run_id, values):
                return  # already ended (failed as stale): that outcome stands
            run = await repo.get_run(run_id)
            assert run is not None
            await self._ended(session, run, "running")
        self.on_finished(run)

    async def _ended(self, session: AsyncSession, run: Row, previous: str) -> None:
        """Audit record and event of a run that just ended (same transaction)."""
        status, error = run["status"], run["error"]
        await self.outbox.audit(
            session,
            action="schedule_run.finish",
            entity_type="schedule_run",
            entity_id=run["id"],
            changes={"status": (previous, status), "error": ("", error)}
            if error
            else {"status": (previous, status), "target_id": ("", run["target_id"])},
        )
        # Runs outlive their schedule; such a run's events are about the run itself.
        subject = (
            f"schedule:{run['schedule_id']}"
            if run["schedule_id"] is not None
            else f"schedule_run:{run['id']}"
        )
        await self.outbox.publish(
            session, COMPLETED if status == "succeeded" else FAILED, subject, self.run_event(run)
        )

    async def _notify_finished(self, run_id: int) -> None:
        run = await self.get(run_id)
        self.on_finished(run)

    # ------------------------------------------------------------ leases
    async def keep_leases(self, stop: asyncio.Event) -> None:
        """Worker: renew the leases of this process's runs, fail other processes' stale runs."""
        while not stop.is_set():
            try:
                async with self.db.session() as session:
                    await SchedulerRepository(session).renew_leases(list(self._tasks.values()))
                await self.recover_stale()
            except Exception:  # a database hiccup: try again next round
                log.exception("schedule run lease upkeep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.heartbeat_seconds)

    async def recover_stale(self) -> list[Row]:
        """Fail the runs whose process stopped heart-beating (any replica may do it)."""
        return await self._fail(
            lambda repo: repo.fail_stale_runs(self.stale_seconds, STALE, self.clock())
        )

    async def drain(self, grace_seconds: float = 5.0) -> None:
        """On shutdown: let in-flight dispatches end, cancel the rest, and fail this process's
        unfinished runs now rather than leaving them for another replica's stale timeout."""
        tasks = list(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            await self._fail(
                lambda repo: repo.fail_worker_runs(self.worker_id, SHUT_DOWN, self.clock())
            )
        except Exception:  # the database is gone too: the stale sweep of a replica will do it
            log.exception("failing this process's unfinished runs on shutdown failed")

    async def _fail(
        self, fail: Callable[[SchedulerRepository], Awaitable[list[tuple[Row, str]]]]
    ) -> list[Row]:
        async with self.db.session() as session:
            failed = await fail(SchedulerRepository(session))
            for run, previous in failed:
                log.warning("schedule run %s failed: %s", run["id"], run["error"])
                await self._ended(session, run, previous)
        for run, _ in failed:
            self.on_finished(run)
        return [run for run, _ in failed]

    # ------------------------------------------------------------ reads
    async def get(self, run_id: int) -> Row:
        async with self.db.session() as session:
            run = await SchedulerRepository(session).get_run(run_id)
        if run is None:
            raise NotFound(f"schedule run {run_id} does not exist")
        return run

    async def page(
        self, schedule_id: int, status: str, limit: int, cursor: str
    ) -> tuple[Sequence[Row], str]:
        if status and status not in RUN_STATUSES:
            raise InvalidArgument(f"status: must be one of {', '.join(RUN_STATUSES)}")
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            repo = SchedulerRepository(session)
            if schedule_id:
                await require_schedule(repo, schedule_id)
            rows = await repo.list_runs(schedule_id, status, offset, limit + 1)
        return rows[:limit], next_cursor(offset, limit, len(rows[:limit]), len(rows) > limit)
