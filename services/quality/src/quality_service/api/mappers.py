"""Rows ↔ protobuf messages of the quality API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from datacompass.quality.v1 import quality_pb2 as pb
from dckit.protoconv import struct, ts
from quality_service.application.breaches import Summary
from quality_service.db.repository import Row


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _threshold(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if v is not None}


def expectation(row: Row) -> pb.Expectation:
    return pb.Expectation(
        id=row["id"],
        config_id=row["config_id"],
        metric_type=row["metric_type"],
        column=row["column_name"],
        threshold=struct(_threshold(row["threshold"])),
        priority=row["priority"],
        enabled=row["enabled"],
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
    )


def config(row: Row, expectations: Sequence[Row] = ()) -> pb.DqConfig:
    return pb.DqConfig(
        id=row["id"],
        object_ref=row["object_ref"],
        date_column=row["date_column"],
        date_format=row["date_format"],
        grain=row["grain"],
        timezone=row["timezone"],
        enabled=row["enabled"],
        expectations=[expectation(e) for e in expectations],
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
    )


def run(row: Mapping[str, Any] | Row, object_ref: str = "") -> pb.DqRun:
    return pb.DqRun(
        id=row["id"],
        config_id=row["config_id"],
        object_ref=object_ref or row.get("object_ref", ""),
        start_date=_day(row["start_date"]),
        end_date=_day(row["end_date"]),
        status=row["status"],
        buckets_total=row["buckets_total"],
        buckets_done=row["buckets_done"],
        results_stored=row["results_stored"],
        metric_errors=row["metric_errors"],
        breaches_opened=row["breaches_opened"],
        buckets=[pb.BucketOutcome(**b) for b in row["buckets"] or []],
        error=row["error"],
        triggered_by=row["triggered_by"],
        created_at=ts(row["created_at"]),
        started_at=ts(row["started_at"]),
        finished_at=ts(row["finished_at"]),
    )


def result(row: Row) -> pb.DqResult:
    return pb.DqResult(
        id=row["id"],
        expectation_id=row["expectation_id"],
        bucket=_day(row["bucket"]),
        status=row["status"],
        value=row["value"],
        threshold_low=row["threshold_low"],
        threshold_high=row["threshold_high"],
        threshold_strategy=(row["threshold"] or {}).get("strategy", ""),
        error=row["error"],
        is_breach=row["status"] == "breach",
        run_id=row["run_id"] or 0,
        executed_at=ts(row["executed_at"]),
    )


def breach(row: Row) -> pb.Breach:
    return pb.Breach(
        id=row["id"],
        expectation_id=row["expectation_id"],
        config_id=row["config_id"],
        object_ref=row["object_ref"],
        metric_type=row["metric_type"],
        column=row["column_name"],
        priority=row["priority"],
        bucket=_day(row["bucket"]),
        value=row["value"],
        threshold_low=row["threshold_low"],
        threshold_high=row["threshold_high"],
        direction=row["direction"],
        deviation=row["deviation"],
        status=row["status"],
        status_changed_by=row["status_changed_by"],
        status_reason=row["status_reason"],
        run_id=row["run_id"] or 0,
        detected_at=ts(row["detected_at"]),
        updated_at=ts(row["updated_at"]),
    )


def summary(s: Summary) -> pb.ConfigSummary:
    return pb.ConfigSummary(
        config=config(s.config, s.expectations),
        expectations=[
            pb.ExpectationSummary(
                expectation=expectation(e.expectation),
                latest=result(e.latest) if e.latest else None,
                breaches_30d=e.breaches_30d,
                trend_7d=e.trend_7d,
            )
            for e in s.per_expectation
        ],
        open_breaches=s.open_breaches,
        last_run=run(s.last_run, s.config["object_ref"]) if s.last_run else None,
    )


# Event payloads (RunEvents in application/runs.py).
def breach_detected(row: Row) -> pb.BreachDetected:
    return pb.BreachDetected(breach=breach(row))


def breach_bulk(run_row: Row, rows: Sequence[Row]) -> pb.BreachBulk:
    return pb.BreachBulk(
        run_id=run_row["id"],
        object_ref=rows[0]["object_ref"] if rows else "",
        breaches=[breach(r) for r in rows],
    )


def run_finished(row: Mapping[str, Any]) -> pb.RunFinished:
    return pb.RunFinished(run=run(row))
