"""Run leases (dckit.leases) over real PostgreSQL, with time driven by the test's ManualClock
(no sleeping against timeouts): a run left unfinished by a dead process is failed by a live
replica once its heartbeat is older than the stale timeout, never before (event and audit as
for any failed run); a live replica's run, heart-beating, is never touched by another; shutdown
fails the process's own unfinished runs at once; deleting a schedule keeps its run history."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, timedelta
from typing import Any

import grpc
import pytest
from scheduler_testkit import (
    START,
    Clock,
    Env,
    Scheduler,
    dq_schedule,
    eventually,
    flaky_quality,
    runs_of,
    start_scheduler,
    status,
)

from datacompass.common.v1 import audit_pb2
from datacompass.scheduler.v1 import scheduler_pb2 as pb
from scheduler_service.application.runs import SCHEDULE_DELETED, SHUT_DOWN, STALE

pytestmark = pytest.mark.stack  # starts services or servers in its tests

STALE_SECONDS = 60.0
LEASE = {"run_heartbeat_seconds": 5, "run_stale_seconds": STALE_SECONDS}
DEAD = "dead-host:4242:abcdef"


async def insert_run(env: Env, schedule_id: int, minute: int, status: str, age: float) -> int:
    """A run row as a process that then died left it: its last heartbeat `age` seconds before
    the test clock's start."""
    rows = await env.sql(
        "INSERT INTO scheduler.schedule_runs (schedule_id, schedule_name, task_type, trigger,"
        " scheduled_for, status, attempt, worker, heartbeat_at)"
        " VALUES ($1, 'dq orders', 'dq_run', 'cron', $2, $3, 1, $4, $5) RETURNING id",
        schedule_id, START + timedelta(minutes=minute), status, DEAD,
        START - timedelta(seconds=age),
    )  # fmt: skip
    return int(rows[0]["id"])


async def audits(env: Env, action: str) -> list[audit_pb2.AuditRecord]:
    found = []
    for envelope in await env.outbox_events("datacompass.audit.recorded"):
        record = audit_pb2.AuditRecord()
        assert envelope.data.Unpack(record)
        if record.action == action:
            found.append(record)
    return found


def changes(record: audit_pb2.AuditRecord) -> dict[str, tuple[Any, Any]]:
    return {
        c.field: (json.loads(c.old_json or "null"), json.loads(c.new_json or "null"))
        for c in record.changes
    }


async def failed_events(env: Env) -> list[pb.ScheduleRun]:
    runs = []
    for envelope in await env.outbox_events("datacompass.scheduler.run.failed"):
        run = pb.ScheduleRun()
        assert envelope.data.Unpack(run)
        runs.append(run)
    return runs


async def test_runs_of_a_dead_process_are_failed_by_a_live_replica(env: Env, clock: Clock) -> None:
    async with start_scheduler(env, clock, **LEASE) as s:
        schedule = await s.stub.CreateSchedule(dq_schedule(enabled=False))
        running = await insert_run(env, schedule.id, 1, "running", 3600)
        pending = await insert_run(env, schedule.id, 2, "pending", STALE_SECONDS + 1)
        fresh = await insert_run(env, schedule.id, 3, "running", STALE_SECONDS - 1)
        done = await insert_run(env, schedule.id, 4, "succeeded", 3600)
        await s.service.runs.recover_stale()
        runs = {r.id: r for r in await runs_of(s, schedule.id)}
        assert [(status(runs[i]), runs[i].error) for i in (running, pending, fresh, done)] == [
            ("failed", STALE),
            ("failed", STALE),
            ("running", ""),  # its heartbeat is 59 s old: inside the lease
            ("succeeded", ""),
        ]
        assert runs[running].finished_at.ToDatetime(UTC) == START  # the scheduler's clock
        clock.advance(2)  # now 61 s without a heartbeat
        await s.service.runs.recover_stale()
        assert status(await s.stub.GetRun(pb.GetRunRequest(id=fresh))) == "failed"
    events = await failed_events(env)
    assert sorted(e.id for e in events) == [running, pending, fresh]
    assert {e.error for e in events} == {STALE}
    finishes = {int(r.entity_id): changes(r) for r in await audits(env, "schedule_run.finish")}
    assert finishes == {
        running: {"status": ("running", "failed"), "error": ("", STALE)},
        pending: {"status": ("pending", "failed"), "error": ("", STALE)},
        fresh: {"status": ("running", "failed"), "error": ("", STALE)},
    }


async def test_a_live_replicas_run_is_never_failed_by_another(env: Env, clock: Clock) -> None:
    gate = asyncio.Event()
    async with flaky_quality(gate=gate) as (quality, addr):
        env.quality_addr = addr
        async with (
            start_scheduler(env, clock, **LEASE) as a,
            start_scheduler(env, clock, **LEASE) as b,
        ):
            schedule = await a.stub.CreateSchedule(dq_schedule(enabled=False))
            run = await a.stub.RunNow(pb.RunNowRequest(schedule_id=schedule.id))
            await eventually(lambda: asyncio.sleep(0, len(quality.requests)), lambda n: n == 1)
            assert a.service.leases.held() == [run.id]
            # Eight stale periods while the dispatch hangs: a renews its lease each half period,
            # b sweeps for stale runs after every step.
            for _ in range(16):
                clock.advance(STALE_SECONDS / 2)
                await a.service.leases.renew()
                await b.service.runs.recover_stale()
                rows = await env.sql(
                    "SELECT status, worker, heartbeat_at FROM scheduler.schedule_runs"
                    " WHERE id = $1",
                    run.id,
                )
                assert rows[0]["status"] == "running", rows
                assert rows[0]["worker"] == a.service.leases.worker != b.service.leases.worker
                assert rows[0]["heartbeat_at"] == clock.now, rows
            gate.set()
            runs = await eventually(
                lambda: runs_of(b, schedule.id), lambda rs: status(rs[0]) == "succeeded"
            )
    assert (status(runs[0]), runs[0].error) == ("succeeded", "")
    assert await failed_events(env) == []


async def test_shutdown_fails_the_processs_own_unfinished_runs_at_once(
    env: Env, clock: Clock
) -> None:
    gate = asyncio.Event()  # never opens: the dispatch outlives the shutdown grace
    async with flaky_quality(gate=gate) as (quality, addr):
        env.quality_addr = addr
        # A stale timeout far longer than the test (on a clock that does not move): only the
        # shutdown can fail the run. Without the drain the shutdown would wait for the gate
        # forever; the deadline only turns such a hang into a clear failure.
        async with asyncio.timeout(60):
            async with start_scheduler(
                env, clock, shutdown_grace_seconds=0.3, run_stale_seconds=3600
            ) as s:
                schedule = await s.stub.CreateSchedule(dq_schedule(enabled=False))
                run = await s.stub.RunNow(pb.RunNowRequest(schedule_id=schedule.id))
                await eventually(lambda: asyncio.sleep(0, len(quality.requests)), lambda n: n == 1)
    rows = await env.sql("SELECT status, error FROM scheduler.schedule_runs WHERE id = $1", run.id)
    assert [(r["status"], r["error"]) for r in rows] == [("failed", SHUT_DOWN)]
    assert [(e.id, e.error) for e in await failed_events(env)] == [(run.id, SHUT_DOWN)]


async def expect_not_found(s: Scheduler, schedule_id: int) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await s.stub.ListRuns(pb.ListRunsRequest(schedule_id=schedule_id))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_deleting_a_schedule_keeps_its_run_history(env: Env, clock: Clock) -> None:
    gate = asyncio.Event()
    async with flaky_quality(grpc.StatusCode.UNAVAILABLE, gate=gate) as (quality, addr):
        env.quality_addr = addr
        async with start_scheduler(env, clock) as s:
            schedule = await s.stub.CreateSchedule(dq_schedule(enabled=False))
            gate.set()
            quality.failures.clear()
            done = await s.stub.RunNow(pb.RunNowRequest(schedule_id=schedule.id, wait=True))
            assert status(done) == "succeeded"
            # A second run whose first attempt is in flight when the schedule goes: its retry
            # must not dispatch for a schedule that no longer exists.
            gate.clear()
            quality.failures.append(grpc.StatusCode.UNAVAILABLE)
            clock.advance(1)
            retried = await s.stub.RunNow(pb.RunNowRequest(schedule_id=schedule.id))
            await eventually(lambda: asyncio.sleep(0, len(quality.requests)), lambda n: n == 2)
            await s.stub.DeleteSchedule(pb.DeleteScheduleRequest(id=schedule.id))
            gate.set()
            listed = await eventually(
                lambda: s.stub.ListRuns(pb.ListRunsRequest()),
                lambda got: status(got.items[0]) == "failed",
            )
            await expect_not_found(s, schedule.id)
    assert len(quality.requests) == 2  # no dispatch after the deletion
    got = [(r.id, r.schedule_id, r.schedule_name, status(r), r.error) for r in listed.items]
    assert got == [
        (retried.id, 0, "dq orders", "failed", SCHEDULE_DELETED),
        (done.id, 0, "dq orders", "succeeded", ""),
    ]
    rows = await env.sql(
        "SELECT count(*) AS n FROM scheduler.schedule_runs WHERE schedule_id IS NULL"
    )
    assert rows[0]["n"] == 2
    envelopes = await env.outbox_events("datacompass.scheduler.run.failed")
    assert [e.subject for e in envelopes] == [f"schedule_run:{retried.id}"]
