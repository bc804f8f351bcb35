"""DQ runs ↔ protobuf, and the payload of the run.completed / run.failed events."""

from __future__ import annotations

from datacompass.quality.v1 import dq_pb2 as pb
from dckit.protoconv import from_message, to_message
from quality_service.application.ports import Row
from quality_service.domain.dq_runs import DqRunSpec


def run(row: Row) -> pb.DqRun:
    """A run with its object's URN and ref (use cases add them from its config)."""
    return to_message(pb.DqRun, row, complete=True)


def run_spec(request: pb.StartRunRequest) -> DqRunSpec:
    return from_message(DqRunSpec, request)


def run_finished(row: Row) -> pb.RunFinished:
    return pb.RunFinished(run=run(row))
