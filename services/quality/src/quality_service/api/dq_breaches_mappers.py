"""DQ breaches ↔ protobuf, and the payloads of the breach.detected / breach.bulk events."""

from __future__ import annotations

from collections.abc import Sequence

from datacompass.quality.v1 import dq_pb2 as pb
from dckit.protoconv import enum_text, from_message, to_message
from quality_service.application.ports import Row
from quality_service.domain.dq_breaches import BreachFilter, since_date


def breach(row: Row) -> pb.Breach:
    """A breach with its object's URN and ref and its metric (the repository joins them)."""
    return to_message(pb.Breach, row, complete=True, rename={"column": "column_name"})


def breach_filter(request: pb.ListBreachesRequest) -> BreachFilter:
    return from_message(BreachFilter, request, since=since_date(request.since))


def target_status(request: pb.ChangeBreachStatusRequest) -> str:
    return enum_text(pb.BreachStatus, request.status)  # "" = unspecified


def breach_detected(row: Row) -> pb.BreachDetected:
    return pb.BreachDetected(breach=breach(row))


def breach_bulk(run: Row, rows: Sequence[Row]) -> pb.BreachBulk:
    first = rows[0] if rows else {}
    return pb.BreachBulk(
        run_id=run["id"],
        object_urn=first.get("object_urn", ""),
        object_ref=first.get("object_ref", ""),
        breaches=[breach(r) for r in rows],
    )
