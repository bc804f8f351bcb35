"""Schedules: domain records → protobuf, requests → domain specs and changes."""

from __future__ import annotations

from typing import Any

from datacompass.scheduler.v1 import scheduler_pb2 as pb
from dckit.protoconv import ProtoFrom, from_proto, masked
from scheduler_service.domain import schedules as rules
from scheduler_service.domain.schedules import Schedule, ScheduleSpec

schedule = ProtoFrom(pb.Schedule, Schedule)


def spec(request: pb.CreateScheduleRequest) -> ScheduleSpec:
    """Unset optional fields take the domain's defaults."""
    return ScheduleSpec(**from_proto(request, rules.UPDATABLE, only_set=True))


def changes(request: pb.UpdateScheduleRequest) -> dict[str, Any]:
    return masked(request.schedule, request.update_mask, rules.UPDATABLE)
