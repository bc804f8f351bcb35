"""Scheduler protobuf messages → REST models."""

from __future__ import annotations

from datacompass.scheduler.v1 import scheduler_pb2 as pb
from dckit.protoconv import whole_numbers
from gateway_service import schemas_scheduler as s
from gateway_service.mappers import from_struct, optional, timestamp


def schedule(msg: pb.Schedule) -> s.Schedule:
    return s.Schedule(
        id=msg.id,
        name=msg.name,
        cron=msg.cron,
        timezone=msg.timezone,
        task_type=msg.task_type,
        params=whole_numbers(from_struct(msg.params)),
        enabled=msg.enabled,
        misfire_grace_seconds=msg.misfire_grace_seconds,
        max_attempts=msg.max_attempts,
        next_run_at=timestamp(msg, "next_run_at"),
        last_run_at=timestamp(msg, "last_run_at"),
        created_by=msg.created_by,
        created_at=timestamp(msg, "created_at"),
        updated_at=timestamp(msg, "updated_at"),
    )


def run(msg: pb.ScheduleRun) -> s.ScheduleRun:
    return s.ScheduleRun(
        id=msg.id,
        schedule_id=msg.schedule_id or None,
        schedule_name=msg.schedule_name,
        task_type=msg.task_type,
        trigger=msg.trigger,
        triggered_by=msg.triggered_by,
        scheduled_for=timestamp(msg, "scheduled_for"),
        status=msg.status,
        attempt=msg.attempt,
        started_at=timestamp(msg, "started_at"),
        finished_at=timestamp(msg, "finished_at"),
        error=optional(msg.error),
        target_id=optional(msg.target_id),
        result=whole_numbers(from_struct(msg.result)),
        created_at=timestamp(msg, "created_at"),
    )
