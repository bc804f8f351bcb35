"""Firing and dispatch over real gRPC peers: the real catalog receives metadata scans, two
scheduler replicas on one database fire each minute once, misfires are skipped, transient
failures are retried with backoff, permanent ones fail at once, RunNow is recorded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from prometheus_client import REGISTRY
from scheduler_testkit import (
    START,
    Catalog,
    Clock,
    Env,
    dq_schedule,
    eventually,
    finished,
    flaky_quality,
    runs_of,
    scan_schedule,
    start_scheduler,
    status,
)

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.scheduler.v1 import scheduler_pb2 as pb
from dckit import context

pytestmark = pytest.mark.stack  # starts services or servers in its tests


MINUTE = START.replace(second=0) + timedelta(minutes=1)  # the first slot of "* * * * *"


def runs_total(task_type: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "dc_scheduler_runs_total", {"task_type": task_type, "status": status}
    )
    return value or 0.0


async def test_two_replicas_fire_each_minute_exactly_once(
    catalog: Catalog, env: Env, clock: Clock
) -> None:
    before = runs_total("metadata_scan", "succeeded")
    async with start_scheduler(env, clock) as a, start_scheduler(env, clock) as b:
        schedule = await a.stub.CreateSchedule(scan_schedule())
        assert schedule.next_run_at.ToDatetime(UTC) == MINUTE
        for minute in range(3):
            slot = MINUTE + timedelta(minutes=minute)
            clock.set(slot + timedelta(milliseconds=500))
            # Both pollers race on their own; add direct concurrent claims on top.
            claimed = await asyncio.gather(
                a.service.runs.tick(), b.service.runs.tick(), a.service.runs.tick()
            )
            assert sum(len(c) for c in claimed) <= 1
            expected = minute + 1
            runs = await eventually(
                lambda: runs_of(b, schedule.id),
                lambda rs, n=expected: len(rs) == n and finished(rs),
            )
            assert len(runs) == expected and finished(runs), runs
            await catalog.settled_scans(minute + 1)
            await asyncio.sleep(0.2)  # ten more poll rounds of each replica: nothing else fires
        runs = await runs_of(a, schedule.id)
        assert sorted(r.scheduled_for.ToDatetime(UTC) for r in runs) == [
            MINUTE + timedelta(minutes=m) for m in range(3)
        ]
        assert {status(r) for r in runs} == {"succeeded"}, runs
        assert all(r.trigger == "cron" and r.attempt == 1 for r in runs)
        rows = await env.sql("SELECT count(*) AS n FROM scheduler.schedule_runs")
        assert rows[0]["n"] == 3
        scans = await catalog.settled_scans(3)
        assert len(scans) == 3
        assert {s.status for s in scans} == {cpb.ScanStatus.SCAN_STATUS_SUCCEEDED}
        assert sorted(r.target_id for r in runs) == sorted(str(s.id) for s in scans)
        assert runs[0].result["source_name"] == "shop"
        now = await a.stub.GetSchedule(pb.GetScheduleRequest(id=schedule.id))
        assert now.next_run_at.ToDatetime(UTC) == MINUTE + timedelta(minutes=3)
    completed = await env.outbox_events("datacompass.scheduler.run.completed")
    assert len(completed) == 3
    payload = pb.ScheduleRun()
    assert completed[0].data.Unpack(payload) and status(payload) == "succeeded"
    assert runs_total("metadata_scan", "succeeded") - before == 3


async def test_a_slot_older_than_the_grace_is_skipped_not_fired(
    catalog: Catalog, env: Env, clock: Clock
) -> None:
    async with start_scheduler(env, clock) as s:
        schedule = await s.stub.CreateSchedule(
            scan_schedule(cron="0 * * * *", misfire_grace_seconds=60)
        )
        slot = schedule.next_run_at.ToDatetime(UTC)  # 11:00
        clock.set(slot + timedelta(seconds=61))  # the scheduler was down at 11:00
        runs = await eventually(lambda: runs_of(s, schedule.id), lambda rs: len(rs) == 1)
        assert [(status(r), r.scheduled_for.ToDatetime(UTC)) for r in runs] == [
            ("skipped_misfire", slot)
        ]
        assert "misfire" in runs[0].error and runs[0].attempt == 0
        after = await s.stub.GetSchedule(pb.GetScheduleRequest(id=schedule.id))
        assert after.next_run_at.ToDatetime(UTC) == slot + timedelta(hours=1)

        # Down for hours: the stale slot is skipped, the newest one (on time) fires once.
        clock.set(slot + timedelta(hours=4, seconds=10))
        runs = await eventually(
            lambda: runs_of(s, schedule.id), lambda rs: len(rs) == 3 and finished(rs)
        )
        got = sorted((r.scheduled_for.ToDatetime(UTC), status(r)) for r in runs)
        assert got == [
            (slot, "skipped_misfire"),
            (slot + timedelta(hours=1), "skipped_misfire"),
            (slot + timedelta(hours=4), "succeeded"),
        ]
    assert len(await catalog.settled_scans(1)) == 1  # only the on-time slot reached the catalog


async def test_transient_failures_are_retried_until_success(env: Env, clock: Clock) -> None:
    codes = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED)
    async with flaky_quality(*codes) as (quality, addr):
        env.quality_addr = addr
        async with start_scheduler(env, clock) as s:
            schedule = await s.stub.CreateSchedule(dq_schedule())
            run = await s.stub.RunNow(pb.RunNowRequest(schedule_id=schedule.id, wait=True))
    assert (status(run), run.attempt, run.target_id) == ("succeeded", 3, "4003"), run
    assert [(r.object.qualified_name, r.days, r.wait) for r in quality.requests] == [
        ("shop.sales.orders", 3, False)
    ] * 3
    assert run.result["object_ref"] == "shop.sales.orders"


async def test_transient_failures_give_up_after_max_attempts(env: Env, clock: Clock) -> None:
    before = runs_total("dq_run", "failed")
    # quality_addr is a port where nothing listens: UNAVAILABLE on every attempt.
    async with start_scheduler(env, clock) as s:
        schedule = await s.stub.CreateSchedule(dq_schedule(max_attempts=2))
        run = await s.stub.RunNow(pb.RunNowRequest(schedule_id=schedule.id, wait=True))
    assert (status(run), run.attempt) == ("failed", 2), run
    assert "UNAVAILABLE" in run.error and "transient" in run.error
    failed = await env.outbox_events("datacompass.scheduler.run.failed")
    assert len(failed) == 1
    assert runs_total("dq_run", "failed") - before == 1


async def test_permanent_failures_fail_at_once(env: Env, clock: Clock) -> None:
    async with flaky_quality(grpc.StatusCode.NOT_FOUND) as (quality, addr):
        env.quality_addr = addr
        async with start_scheduler(env, clock) as s:
            schedule = await s.stub.CreateSchedule(dq_schedule())
            run = await s.stub.RunNow(pb.RunNowRequest(schedule_id=schedule.id, wait=True))
    assert (status(run), run.attempt) == ("failed", 1), run
    assert "NOT_FOUND" in run.error and "permanent" in run.error
    assert len(quality.requests) == 1


async def test_run_now_dispatches_a_scan_as_the_caller(
    catalog: Catalog, env: Env, clock: Clock
) -> None:
    async with start_scheduler(env, clock) as s:
        schedule = await s.stub.CreateSchedule(scan_schedule(cron="0 0 1 1 *", enabled=False))
        caller = context.RequestContext(actor="user:ada").to_metadata()
        run = await s.stub.RunNow(
            pb.RunNowRequest(schedule_id=schedule.id, wait=True), metadata=caller
        )
        assert (status(run), run.trigger, run.triggered_by) == ("succeeded", "manual", "user:ada")
        assert run.scheduled_for.ToDatetime(UTC) == START
        scans = await catalog.settled_scans(1)
        assert [str(x.id) for x in scans] == [run.target_id]
        # Without wait the run comes back pending and finishes in the background.
        clock.advance(seconds=1)
        queued = await s.stub.RunNow(pb.RunNowRequest(schedule_id=schedule.id))
        assert status(queued) in ("pending", "running")
        runs = await eventually(
            lambda: runs_of(s, schedule.id), lambda rs: len(rs) == 2 and finished(rs)
        )
        assert [r.id for r in runs] == [queued.id, run.id]  # newest first
        assert status(runs[0]) == "succeeded"
        # Two manual runs at the same instant would be the same slot.
        clock.advance(seconds=1)
        await s.stub.RunNow(pb.RunNowRequest(schedule_id=schedule.id, wait=True))
        try:
            await s.stub.RunNow(pb.RunNowRequest(schedule_id=schedule.id))
            raise AssertionError("a second run of the same instant was accepted")
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.ABORTED
    audits = await env.sql(
        "SELECT count(*) AS n FROM scheduler.outbox WHERE event_type = 'datacompass.audit.recorded'"
    )
    assert audits[0]["n"] == 1 + 3 * 2  # create + (run, finish) per run


async def test_lag_is_observed_for_cron_runs(env: Env, clock: Clock) -> None:
    def lag_count() -> float:
        return (
            REGISTRY.get_sample_value("dc_scheduler_lag_seconds_count", {"task_type": "dq_run"})
            or 0.0
        )

    async with flaky_quality() as (_, addr):
        env.quality_addr = addr
        async with start_scheduler(env, clock) as s:
            before = lag_count()
            schedule = await s.stub.CreateSchedule(dq_schedule(cron="* * * * *"))
            clock.set(MINUTE + timedelta(seconds=2))
            runs = await eventually(
                lambda: runs_of(s, schedule.id), lambda rs: len(rs) == 1 and finished(rs)
            )
            assert status(runs[0]) == "succeeded"
            assert runs[0].started_at.ToDatetime(UTC) == datetime(2026, 1, 5, 10, 1, 2, tzinfo=UTC)
    assert lag_count() - before == 1
