"""Schedule runs: domain records → protobuf (the API's answers and the runs' event payloads)."""

from __future__ import annotations

from datacompass.scheduler.v1 import scheduler_pb2 as pb
from dckit.protoconv import ProtoFrom
from scheduler_service.domain.runs import ScheduleRun

run = ProtoFrom(pb.ScheduleRun, ScheduleRun)
