"""Runs, backfills, thresholds and breaches through the real gRPC API, on a real source."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from quality_testkit import (
    DAYS,
    OBJ,
    REF,
    SPIKE_DAY,
    Stack,
    outbox_events,
    published_subjects,
    start_stack,
    struct,
)

from datacompass.common.v1 import audit_pb2, refs_pb2
from datacompass.quality.v1 import dq_pb2 as pb
from dcconnectors.errors import QueryFailed
from devstack.databases import SourceDatabases
from devstack.testing import starts_stack
from quality_service.adapters.executors import executors
from quality_service.application.ports import Executor
from quality_service.domain.query import Query

ANOMALY = {"strategy": "anomaly", "min_history": 5, "sensitivity": 3}


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


def whole_range(stack: Stack, **kw: Any) -> pb.StartRunRequest:
    base = stack.rows.base
    return pb.StartRunRequest(
        object=OBJ,
        start_date=base.isoformat(),
        end_date=(base + timedelta(days=DAYS - 1)).isoformat(),
        wait=True,
        **kw,
    )


async def test_an_anomaly_opens_one_breach_with_its_events(
    stack: Stack, nats_url: str, nats_stream: str
) -> None:
    config = await stack.config()
    rows = await stack.expect(config.id, "row_count", **ANOMALY)
    await stack.expect(config.id, "mean", "amount", strategy="absolute", min=0)
    run = await stack.dq.StartRun(whole_range(stack, parallelism=3))
    assert run.status == pb.DQ_RUN_STATUS_SUCCEEDED, run
    spike = (stack.rows.base + timedelta(days=SPIKE_DAY)).isoformat()
    breaches = await stack.dq.ListBreaches(pb.ListBreachesRequest(object=OBJ))
    by_day = {b.bucket: b for b in breaches.items}
    assert spike in by_day
    b = by_day[spike]
    assert b.expectation_id == rows.id and b.direction == "above"
    assert b.status == pb.BREACH_STATUS_OPEN and b.object_urn.startswith("urn:dcs:")
    assert b.metric_type == "row_count" and b.object_ref == REF and b.run_id == run.id
    assert b.value > b.threshold_high
    # The empty day is also an anomaly (0 rows), and only these two.
    assert len(breaches.items) == run.breaches_opened == 2
    detected = await outbox_events(stack, "datacompass.quality.breach.detected")
    assert len(detected) == 2
    bulk = await outbox_events(stack, "datacompass.quality.breach.bulk")
    assert len(bulk) == 1
    bulk_data = pb.BreachBulk()
    assert bulk[0].data.Unpack(bulk_data) and len(bulk_data.breaches) == 2
    subjects = await published_subjects(nats_url, nats_stream)
    assert sum(s.endswith("quality.breach.detected") for s in subjects) == 2
    # Results carry the threshold in force.
    results = await stack.dq.ListResults(pb.ListResultsRequest(expectation_id=rows.id, days=60))
    spiked = next(r for r in results.items if r.bucket == spike)
    assert spiked.is_breach and spiked.threshold_strategy == "anomaly"
    assert spiked.threshold_high == pytest.approx(b.threshold_high)
    assert [r.status for r in results.items[:5]] == [pb.DQ_RESULT_STATUS_LEARNING] * 5


async def test_rerunning_replaces_results_and_never_duplicates_breaches(stack: Stack) -> None:
    config = await stack.config()
    exp = await stack.expect(config.id, "row_count", **ANOMALY)
    first = await stack.dq.StartRun(whole_range(stack))
    second = await stack.dq.StartRun(whole_range(stack, parallelism=4))
    assert first.status == second.status == pb.DQ_RUN_STATUS_SUCCEEDED
    assert second.breaches_opened == 0  # the same violations: updated, not re-opened
    counts = await stack.own_sql(
        "SELECT (SELECT count(*) FROM quality.dq_results WHERE expectation_id = $1) AS results,"
        " (SELECT count(*) FROM quality.dq_breaches WHERE expectation_id = $1) AS breaches",
        exp.id,
    )
    assert counts[0]["results"] == DAYS and counts[0]["breaches"] == first.breaches_opened
    assert len(await outbox_events(stack, "datacompass.quality.breach.detected")) == 2


async def test_breach_lifecycle_is_audited(stack: Stack) -> None:
    config = await stack.config()
    await stack.expect(config.id, "row_count", **ANOMALY)
    await stack.dq.StartRun(whole_range(stack))
    breach = (
        await stack.dq.ListBreaches(pb.ListBreachesRequest(status=[pb.BREACH_STATUS_OPEN]))
    ).items[0]
    ack = await stack.dq.ChangeBreachStatus(
        pb.ChangeBreachStatusRequest(
            id=breach.id, status=pb.BREACH_STATUS_ACKNOWLEDGED, reason="looking"
        )
    )
    assert ack.status == pb.BREACH_STATUS_ACKNOWLEDGED and ack.status_reason == "looking"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.dq.ChangeBreachStatus(
            pb.ChangeBreachStatusRequest(id=breach.id, status=pb.BREACH_STATUS_DISMISSED)
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "reason" in (err.value.details() or "")
    done = await stack.dq.ChangeBreachStatus(
        pb.ChangeBreachStatusRequest(
            id=breach.id, status=pb.BREACH_STATUS_RESOLVED, reason="backfilled"
        )
    )
    assert done.status == pb.BREACH_STATUS_RESOLVED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.dq.ChangeBreachStatus(
            pb.ChangeBreachStatusRequest(
                id=breach.id, status=pb.BREACH_STATUS_DISMISSED, reason="x"
            )
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    filtered = await stack.dq.ListBreaches(
        pb.ListBreachesRequest(status=[pb.BREACH_STATUS_RESOLVED])
    )
    assert [b.id for b in filtered.items] == [breach.id]
    audits = []
    for env in await outbox_events(stack, "datacompass.audit.recorded"):
        record = audit_pb2.AuditRecord()
        env.data.Unpack(record)
        audits.append(record)
    actions = [a.action for a in audits]
    assert actions.count("dq_breach.acknowledged") == 1 and actions.count("dq_breach.resolved") == 1
    assert {"dq_config.create", "dq_expectation.create", "dq_run.start"} <= set(actions)
    resolved = next(a for a in audits if a.action == "dq_breach.resolved")
    change = {c.field: (c.old_json, c.new_json) for c in resolved.changes}
    assert change["status"] == ('"acknowledged"', '"resolved"')


class FailingMedian:
    """Wraps the real PostgreSQL executor; the source 'rejects' any query computing a median
    (as a warehouse would reject an aggregate it cannot run), so the batch must split."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.queries: list[str] = []

    @property
    def dialect(self) -> Any:
        return self.inner.dialect

    def table_path(self, schema: str, name: str) -> tuple[str, ...]:
        return self.inner.table_path(schema, name)

    async def fetch(self, query: Query) -> list[dict[str, Any]]:
        self.queries.append(query.sql)
        if "percentile_disc" in query.sql:
            raise QueryFailed("function percentile_disc is not allowed here")
        return await self.inner.fetch(query)

    async def close(self) -> None:
        await self.inner.close()


@pytest.fixture
@starts_stack
async def failing_stack(
    source_databases: SourceDatabases,
    service_database: str,
    nats_url: str,
    nats_stream: str,
    event_subject_prefix: str,
) -> AsyncIterator[tuple[Stack, list[FailingMedian]]]:
    made: list[FailingMedian] = []
    real = executors(30_000)

    def factory(source_type: str, conn: Mapping[str, Any]) -> Executor:
        made.append(FailingMedian(real(source_type, conn)))
        return made[-1]

    async for s in start_stack(
        source_databases, service_database, nats_url, nats_stream, event_subject_prefix, factory
    ):
        yield s, made


async def test_one_failing_metric_is_an_error_and_the_others_survive(
    failing_stack: tuple[Stack, list[FailingMedian]],
) -> None:
    stack, made = failing_stack
    config = await stack.config()
    ids = {}
    for metric, column in [
        ("row_count", ""),
        ("sum", "amount"),
        ("median", "amount"),
        ("max", "amount"),
    ]:
        ids[metric] = (await stack.expect(config.id, metric, column)).id
    run = await stack.dq.StartRun(whole_range(stack))
    assert run.status == pb.DQ_RUN_STATUS_PARTIAL and run.metric_errors == DAYS
    assert all(b.status == pb.BUCKET_STATUS_SUCCEEDED for b in run.buckets)
    # One batched query, then halves, then the failing metric alone: not one per metric.
    assert len(made[0].queries) <= 5
    median = await stack.dq.ListResults(
        pb.ListResultsRequest(expectation_id=ids["median"], days=60)
    )
    assert {r.status for r in median.items} == {pb.DQ_RESULT_STATUS_ERROR}
    assert "percentile_disc is not allowed" in median.items[0].error
    sums = await stack.dq.ListResults(pb.ListResultsRequest(expectation_id=ids["sum"], days=60))
    assert sum(1 for r in sums.items if r.status == pb.DQ_RESULT_STATUS_OK) >= DAYS - 2


async def test_bad_requests_are_rejected_and_write_nothing(stack: Stack) -> None:
    async def code(call: Any) -> grpc.StatusCode:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        return err.value.code()

    q = stack.dq
    assert (
        await code(
            q.CreateConfig(
                pb.CreateConfigRequest(
                    object=refs_pb2.ObjectRef(qualified_name="shop.sales.nope"), date_column="x"
                )
            )
        )
        == grpc.StatusCode.NOT_FOUND
    )
    assert await code(stack.config(date_column="missing")) == grpc.StatusCode.INVALID_ARGUMENT
    assert await code(stack.config(date_column="amount")) == grpc.StatusCode.INVALID_ARGUMENT
    assert await code(stack.config(date_column="day_text")) == grpc.StatusCode.INVALID_ARGUMENT
    assert await code(stack.config(grain="hourly")) == grpc.StatusCode.INVALID_ARGUMENT
    assert await code(stack.config(timezone="Mars/Olympus")) == grpc.StatusCode.INVALID_ARGUMENT
    assert (await stack.own_sql("SELECT count(*) AS n FROM quality.dq_configs"))[0]["n"] == 0
    config = await stack.config()
    assert await code(stack.config()) == grpc.StatusCode.ALREADY_EXISTS
    assert await code(stack.expect(config.id, "p99", "amount")) == grpc.StatusCode.INVALID_ARGUMENT
    assert await code(stack.expect(config.id, "mean")) == grpc.StatusCode.INVALID_ARGUMENT
    assert await code(stack.expect(config.id, "mean", "ghost")) == grpc.StatusCode.INVALID_ARGUMENT
    assert await code(stack.expect(config.id, "mean", "name")) == grpc.StatusCode.INVALID_ARGUMENT
    assert (
        await code(stack.expect(config.id, "row_count", strategy="absolute"))
        == grpc.StatusCode.INVALID_ARGUMENT
    )
    assert await code(stack.expect(999, "row_count")) == grpc.StatusCode.NOT_FOUND
    # No expectations yet: nothing to run.
    assert (
        await code(q.StartRun(pb.StartRunRequest(config_id=config.id)))
        == grpc.StatusCode.FAILED_PRECONDITION
    )
    await stack.expect(config.id, "row_count")
    assert await code(stack.expect(config.id, "row_count")) == grpc.StatusCode.ALREADY_EXISTS
    future = (stack.rows.base + timedelta(days=400)).isoformat()
    assert (
        await code(q.StartRun(pb.StartRunRequest(config_id=config.id, start_date=future)))
        == grpc.StatusCode.INVALID_ARGUMENT
    )
    assert (
        await code(q.StartRun(pb.StartRunRequest(config_id=config.id, start_date="yesterday")))
        == grpc.StatusCode.INVALID_ARGUMENT
    )
    assert (
        await code(
            q.StartRun(
                pb.StartRunRequest(
                    config_id=config.id, start_date="2026-02-10", end_date="2026-02-01"
                )
            )
        )
        == grpc.StatusCode.INVALID_ARGUMENT
    )
    assert (await stack.own_sql("SELECT count(*) AS n FROM quality.dq_runs"))[0]["n"] == 0
    assert await code(q.GetRun(pb.GetRunRequest(id=42))) == grpc.StatusCode.NOT_FOUND
    assert (
        await code(
            q.ChangeBreachStatus(
                pb.ChangeBreachStatusRequest(id=42, status=pb.BREACH_STATUS_ACKNOWLEDGED)
            )
        )
        == grpc.StatusCode.NOT_FOUND
    )
    assert (
        await code(q.ListBreaches(pb.ListBreachesRequest(priority=["urgent"])))
        == grpc.StatusCode.INVALID_ARGUMENT
    )


async def test_a_column_dropped_at_the_source_is_an_error_after_rescan(stack: Stack) -> None:
    config = await stack.config()
    gone = await stack.expect(config.id, "max_length", "name")
    await stack.expect(config.id, "row_count")
    await stack.source_sql("ALTER TABLE sales.events DROP COLUMN name")
    await stack.rescan()
    run = await stack.dq.StartRun(whole_range(stack))
    assert run.status == pb.DQ_RUN_STATUS_PARTIAL and run.metric_errors == DAYS
    got = await stack.dq.ListResults(pb.ListResultsRequest(expectation_id=gone.id, days=60))
    assert {r.status for r in got.items} == {pb.DQ_RESULT_STATUS_ERROR}
    assert "no longer in the catalog" in got.items[0].error


async def test_progress_cancel_and_one_run_at_a_time(stack: Stack) -> None:
    config = await stack.config()
    await stack.expect(config.id, "row_count")
    # Slow the source down: every query waits on a lock another session holds.
    import asyncpg

    blocker = await asyncpg.connect(stack.source_url)
    try:
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("LOCK TABLE sales.events IN ACCESS EXCLUSIVE MODE")
        req = whole_range(stack, parallelism=2)
        req.wait = False
        run = await stack.dq.StartRun(req)
        assert run.status == pb.DQ_RUN_STATUS_RUNNING and run.buckets_total == DAYS
        assert run.buckets_done == 0
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stack.dq.StartRun(req)
        assert err.value.code() == grpc.StatusCode.ABORTED
        cancelled = await stack.dq.CancelRun(pb.CancelRunRequest(id=run.id))
        assert cancelled.id == run.id
        for _ in range(100):
            got = await stack.dq.GetRun(pb.GetRunRequest(id=run.id))
            if got.status != pb.DQ_RUN_STATUS_RUNNING:
                break
            await asyncio.sleep(0.1)
        assert got.status == pb.DQ_RUN_STATUS_CANCELLED and got.finished_at.seconds > 0
        await tx.rollback()
    finally:
        await blocker.close()
    again = await stack.dq.StartRun(whole_range(stack))
    assert again.status == pb.DQ_RUN_STATUS_SUCCEEDED and again.buckets_done == DAYS


async def test_summary_and_trend(stack: Stack) -> None:
    config = await stack.config()
    exp = await stack.expect(config.id, "row_count", **ANOMALY)
    await stack.dq.StartRun(whole_range(stack))
    summary = await stack.dq.GetConfigSummary(pb.GetConfigSummaryRequest(config_id=config.id))
    assert summary.config.object_ref == REF
    assert summary.last_run.status == pb.DQ_RUN_STATUS_SUCCEEDED
    (one,) = summary.expectations
    assert one.expectation.id == exp.id
    assert one.latest.bucket == (stack.rows.base + timedelta(days=DAYS - 1)).isoformat()
    assert one.breaches_30d == 2 and summary.open_breaches == 2
    assert one.trend_7d in ("up", "down", "stable")


async def test_update_and_delete_config_and_expectation(stack: Stack) -> None:
    config = await stack.config()
    exp = await stack.expect(config.id, "row_count")
    updated = await stack.dq.UpdateExpectation(
        pb.UpdateExpectationRequest(
            id=exp.id,
            expectation=pb.Expectation(
                threshold=struct({"strategy": "absolute", "min": 10}), priority="critical"
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["threshold", "priority"]),
        )
    )
    assert updated.priority == "critical" and dict(updated.threshold)["min"] == 10
    cfg = await stack.dq.UpdateConfig(
        pb.UpdateConfigRequest(
            id=config.id, config=pb.DqConfig(grain="weekly"), update_mask=mask("grain")
        )
    )
    assert cfg.grain == "weekly" and len(cfg.expectations) == 1
    with pytest.raises(grpc.aio.AioRpcError) as err:  # a mask naming nothing changes nothing
        await stack.dq.UpdateConfig(pb.UpdateConfigRequest(id=config.id, config=cfg))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.dq.UpdateConfig(
            pb.UpdateConfigRequest(
                id=config.id,
                config=pb.DqConfig(date_column="name"),
                update_mask=mask("date_column"),
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    await stack.dq.DeleteConfig(pb.DeleteConfigRequest(id=config.id))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.dq.GetExpectation(pb.GetExpectationRequest(id=exp.id))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_days_backfills_the_last_complete_buckets(stack: Stack) -> None:
    config = await stack.config()
    await stack.expect(config.id, "row_count")
    run = await stack.dq.StartRun(pb.StartRunRequest(config_id=config.id, days=7, wait=True))
    assert run.buckets_total == 7 and run.status == pb.DQ_RUN_STATUS_SUCCEEDED
    from datetime import UTC, datetime

    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert run.end_date == yesterday.isoformat()
    assert run.start_date == (yesterday - timedelta(days=6)).isoformat()
    assert [b.bucket for b in run.buckets][-1] == yesterday.isoformat()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.dq.StartRun(
            pb.StartRunRequest(config_id=config.id, days=3, start_date="2026-01-01")
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
