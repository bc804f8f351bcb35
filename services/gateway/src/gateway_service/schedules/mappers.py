"""Scheduler messages ↔ REST models."""

from __future__ import annotations

from datacompass.scheduler.v1 import scheduler_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.schedules import schemas as s

schedule = FromProto(s.Schedule, pb.Schedule)
run = FromProto(s.ScheduleRun, pb.ScheduleRun)
create_request = ToProto(pb.CreateScheduleRequest, s.ScheduleCreate)
schedule_changes = ToProto(pb.Schedule, s.ScheduleUpdate)
