"""Schedule runs: domain records → protobuf (the API's answers and the runs' event payloads)."""

from __future__ import annotations

from datacompass.scheduler.v1 import scheduler_pb2 as pb
from dckit.protoconv import to_message
from scheduler_service.domain.runs import ScheduleRun


def run(value: ScheduleRun) -> pb.ScheduleRun:
    return to_message(pb.ScheduleRun, value, complete=True)
