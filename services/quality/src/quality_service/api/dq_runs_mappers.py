"""DQ runs ↔ protobuf, and the payload of the run.completed / run.failed events."""

from __future__ import annotations

from datacompass.quality.v1 import dq_pb2 as pb
from dckit.protoconv import from_message_checked, to_message_checked
from quality_service.application.ports import Row
from quality_service.domain.dq_runs import DqRunSpec


def run(row: Row) -> pb.DqRun:
    """A run with its object's URN and ref (use cases add them from its config)."""
    return to_message_checked(pb.DqRun, row)


def run_spec(request: pb.StartRunRequest) -> DqRunSpec:
    return from_message_checked(DqRunSpec, request)


def run_finished(row: Row) -> pb.RunFinished:
    return pb.RunFinished(run=run(row))
