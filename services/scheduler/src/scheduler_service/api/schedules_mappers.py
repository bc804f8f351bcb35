"""Schedules: domain records → protobuf, requests → domain specs and changes."""

from __future__ import annotations

from typing import Any

from datacompass.scheduler.v1 import scheduler_pb2 as pb
from dckit.protoconv import mask_changes, message_values, to_message
from scheduler_service.domain import schedules as rules
from scheduler_service.domain.schedules import Schedule, ScheduleSpec


def schedule(value: Schedule) -> pb.Schedule:
    return to_message(pb.Schedule, value, complete=True)


def spec(request: pb.CreateScheduleRequest) -> ScheduleSpec:
    """Unset optional fields take the domain's defaults."""
    return ScheduleSpec(**message_values(request, rules.UPDATABLE, only_set=True))


def changes(request: pb.UpdateScheduleRequest) -> dict[str, Any]:
    return mask_changes(request.schedule, request.update_mask, rules.UPDATABLE)
