"""Schedule CRUD through the real gRPC API: validation errors name the field and write
nothing, next_run_at honours the time zone, every mutation is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from scheduler_testkit import Clock, Env, Scheduler, dq_schedule, scan_schedule

from datacompass.common.v1 import audit_pb2
from datacompass.scheduler.v1 import scheduler_pb2 as pb
from dckit.protoconv import struct


def update(schedule_id: int, **changes: Any) -> pb.UpdateScheduleRequest:
    """An update of the given fields (named in the mask)."""
    mask = field_mask_pb2.FieldMask(paths=list(changes))
    schedule = pb.Schedule(**changes)
    return pb.UpdateScheduleRequest(id=schedule_id, schedule=schedule, update_mask=mask)


async def expect_error(call: Any, code: grpc.StatusCode, text: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    assert err.value.code() == code, err.value.details()
    assert text in (err.value.details() or ""), err.value.details()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"cron": "61 * * * *"}, "cron:"),
        ({"cron": "every minute"}, "cron:"),
        ({"timezone": "Europe/Atlantis"}, "timezone:"),
        ({"task_type": "vacuum"}, "task_type:"),
        ({"params": struct({})}, "params.source_name:"),
        ({"task_type": "dq_run", "params": struct({"source_name": "shop"})}, "params.source_name:"),
        ({"task_type": "dq_run", "params": struct({})}, "params.object_ref:"),
        ({"max_attempts": 0}, "max_attempts:"),
        ({"misfire_grace_seconds": -1}, "misfire_grace_seconds:"),
        ({"name": ""}, "name:"),
    ],
)
async def test_invalid_schedules_are_refused_with_the_field(
    scheduler: Scheduler, env: Env, kw: dict[str, Any], field: str
) -> None:
    await expect_error(
        scheduler.stub.CreateSchedule(scan_schedule(**kw)), grpc.StatusCode.INVALID_ARGUMENT, field
    )
    assert (await env.sql("SELECT count(*) AS n FROM scheduler.schedules"))[0]["n"] == 0


async def test_crud_with_next_run_in_the_time_zone_and_audit(
    scheduler: Scheduler, env: Env, clock: Clock
) -> None:
    stub = scheduler.stub
    clock.set(datetime(2026, 3, 28, 9, 30, tzinfo=UTC))  # 10:30 in Paris, the day before DST
    created = await stub.CreateSchedule(dq_schedule(cron="0 9 * * *", timezone="Europe/Paris"))
    assert created.enabled and created.misfire_grace_seconds == 300 and created.max_attempts == 3
    assert dict(created.params) == {"object_ref": "shop.sales.orders", "days": 3}
    # Tomorrow 09:00 Paris is CEST already: 07:00 UTC, not 08:00.
    assert created.next_run_at.ToDatetime(UTC) == datetime(2026, 3, 29, 7, tzinfo=UTC)
    assert (await stub.GetSchedule(pb.GetScheduleRequest(id=created.id))) == created

    await expect_error(stub.CreateSchedule(dq_schedule()), grpc.StatusCode.ALREADY_EXISTS, "name:")
    await expect_error(
        stub.UpdateSchedule(update(created.id, cron="0 25 * * *")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "cron:",
    )
    # A new task type without its params is refused rather than keeping the old ones.
    await expect_error(
        stub.UpdateSchedule(update(created.id, task_type="metadata_scan")),
        grpc.StatusCode.INVALID_ARGUMENT,
        "params.source_name:",
    )
    # The mask says what changes: none, or a field no update may set, is refused.
    await expect_error(
        stub.UpdateSchedule(pb.UpdateScheduleRequest(id=created.id, schedule=pb.Schedule())),
        grpc.StatusCode.INVALID_ARGUMENT,
        "update_mask: name the fields to change",
    )
    await expect_error(
        stub.UpdateSchedule(update(created.id, created_by="mallory", enabled=False)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "update_mask: cannot change created_by",
    )
    updated = await stub.UpdateSchedule(update(created.id, cron="15 8 * * *", max_attempts=5))
    assert updated.cron == "15 8 * * *" and updated.max_attempts == 5
    assert updated.next_run_at.ToDatetime(UTC) == datetime(2026, 3, 29, 6, 15, tzinfo=UTC)
    disabled = await stub.UpdateSchedule(update(created.id, enabled=False))
    assert not disabled.HasField("next_run_at")
    clock.set(datetime(2026, 4, 10, 12, tzinfo=UTC))
    enabled = await stub.UpdateSchedule(update(created.id, enabled=True))
    # Re-enabled: the next slot from now, not the ones missed while disabled.
    assert enabled.next_run_at.ToDatetime(UTC) == datetime(2026, 4, 11, 6, 15, tzinfo=UTC)

    other = await stub.CreateSchedule(scan_schedule(name="scan"))
    listed = await stub.ListSchedules(pb.ListSchedulesRequest(page={"limit": 1}))
    assert [s.id for s in listed.items] == [created.id] and listed.page.next_cursor
    rest = await stub.ListSchedules(
        pb.ListSchedulesRequest(page={"limit": 1, "cursor": listed.page.next_cursor})
    )
    assert [s.id for s in rest.items] == [other.id] and not rest.page.next_cursor
    only_dq = await stub.ListSchedules(pb.ListSchedulesRequest(task_type="dq_run"))
    assert [s.id for s in only_dq.items] == [created.id]

    await stub.DeleteSchedule(pb.DeleteScheduleRequest(id=created.id))
    await expect_error(
        stub.GetSchedule(pb.GetScheduleRequest(id=created.id)),
        grpc.StatusCode.NOT_FOUND,
        "schedule",
    )
    await expect_error(
        stub.DeleteSchedule(pb.DeleteScheduleRequest(id=created.id)),
        grpc.StatusCode.NOT_FOUND,
        "schedule",
    )

    actions = []
    for envelope in await env.outbox_events("datacompass.audit.recorded"):
        record = audit_pb2.AuditRecord()
        assert envelope.data.Unpack(record)
        actions.append((record.action, record.entity_id))
    sid = str(created.id)
    assert actions == [
        ("schedule.create", sid),
        ("schedule.update", sid),
        ("schedule.update", sid),
        ("schedule.update", sid),
        ("schedule.create", str(other.id)),
        ("schedule.delete", sid),
    ]


async def test_run_reads_refuse_bad_input(scheduler: Scheduler) -> None:
    stub = scheduler.stub
    await expect_error(
        stub.ListRuns(pb.ListRunsRequest(schedule_id=999)), grpc.StatusCode.NOT_FOUND, "999"
    )
    await expect_error(
        stub.ListRuns(pb.ListRunsRequest(status=99)),  # a value this server does not know
        grpc.StatusCode.INVALID_ARGUMENT,
        "ScheduleRunStatus: unknown value 99",
    )
    await expect_error(
        stub.ListRuns(pb.ListRunsRequest(page={"cursor": "garbage"})),
        grpc.StatusCode.INVALID_ARGUMENT,
        "cursor",
    )
    await expect_error(stub.GetRun(pb.GetRunRequest(id=5)), grpc.StatusCode.NOT_FOUND, "run 5")
    await expect_error(
        stub.RunNow(pb.RunNowRequest(schedule_id=5)), grpc.StatusCode.NOT_FOUND, "schedule 5"
    )
