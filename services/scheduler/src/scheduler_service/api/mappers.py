"""Rows ↔ protobuf messages of the scheduler API."""

from __future__ import annotations

from datacompass.scheduler.v1 import scheduler_pb2 as pb
from dckit.protoconv import struct, ts
from scheduler_service.db.repository import Row


def schedule(row: Row) -> pb.Schedule:
    return pb.Schedule(
        id=row["id"],
        name=row["name"],
        cron=row["cron"],
        timezone=row["timezone"],
        task_type=row["task_type"],
        params=struct(dict(row["params"] or {})),
        enabled=row["enabled"],
        misfire_grace_seconds=row["misfire_grace_seconds"],
        max_attempts=row["max_attempts"],
        next_run_at=ts(row["next_run_at"]),
        last_run_at=ts(row["last_run_at"]),
        created_by=row["created_by"],
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
    )


def run(row: Row) -> pb.ScheduleRun:
    return pb.ScheduleRun(
        id=row["id"],
        schedule_id=row["schedule_id"] or 0,  # 0: the schedule was deleted
        schedule_name=row["schedule_name"],
        task_type=row["task_type"],
        trigger=row["trigger"],
        triggered_by=row["triggered_by"],
        scheduled_for=ts(row["scheduled_for"]),
        status=row["status"],
        attempt=row["attempt"],
        started_at=ts(row["started_at"]),
        finished_at=ts(row["finished_at"]),
        error=row["error"],
        target_id=row["target_id"],
        result=struct(dict(row["result"])) if row["result"] else None,
        created_at=ts(row["created_at"]),
    )
