"""Quality protobuf messages → REST models."""

from __future__ import annotations

from datetime import date

from datacompass.quality.v1 import quality_pb2 as pb
from dckit.protoconv import whole_numbers
from gateway_service import schemas_dq as s
from gateway_service.mappers import from_struct, optional, timestamp


def expectation(msg: pb.Expectation) -> s.Expectation:
    return s.Expectation(
        id=msg.id,
        config_id=msg.config_id,
        metric_type=msg.metric_type,
        column=optional(msg.column),
        threshold=whole_numbers(from_struct(msg.threshold)),
        priority=msg.priority,
        enabled=msg.enabled,
        created_at=timestamp(msg, "created_at"),
        updated_at=timestamp(msg, "updated_at"),
    )


def config(msg: pb.DqConfig) -> s.DqConfig:
    return s.DqConfig(
        id=msg.id,
        object_ref=msg.object_ref,
        date_column=msg.date_column,
        date_format=optional(msg.date_format),
        grain=msg.grain,
        timezone=msg.timezone,
        enabled=msg.enabled,
        expectations=[expectation(e) for e in msg.expectations],
        created_at=timestamp(msg, "created_at"),
        updated_at=timestamp(msg, "updated_at"),
    )


def run(msg: pb.DqRun) -> s.DqRun:
    return s.DqRun(
        id=msg.id,
        config_id=msg.config_id,
        object_ref=msg.object_ref,
        start_date=date.fromisoformat(msg.start_date),
        end_date=date.fromisoformat(msg.end_date),
        status=msg.status,
        buckets_total=msg.buckets_total,
        buckets_done=msg.buckets_done,
        results_stored=msg.results_stored,
        metric_errors=msg.metric_errors,
        breaches_opened=msg.breaches_opened,
        buckets=[
            s.BucketOutcome(
                bucket=date.fromisoformat(b.bucket),
                status=b.status,
                error=optional(b.error),
                metrics=b.metrics,
                breaches=b.breaches,
            )
            for b in msg.buckets
        ],
        error=optional(msg.error),
        triggered_by=msg.triggered_by,
        created_at=timestamp(msg, "created_at"),
        started_at=timestamp(msg, "started_at"),
        finished_at=timestamp(msg, "finished_at"),
    )


def result(msg: pb.DqResult) -> s.DqResult:
    return s.DqResult(
        id=msg.id,
        expectation_id=msg.expectation_id,
        bucket=date.fromisoformat(msg.bucket),
        status=msg.status,
        value=msg.value if msg.HasField("value") else None,
        threshold_low=msg.threshold_low if msg.HasField("threshold_low") else None,
        threshold_high=msg.threshold_high if msg.HasField("threshold_high") else None,
        threshold_strategy=msg.threshold_strategy,
        is_breach=msg.is_breach,
        error=optional(msg.error),
        run_id=msg.run_id or None,
        executed_at=timestamp(msg, "executed_at"),
    )


def summary(msg: pb.ConfigSummary) -> s.ConfigSummary:
    return s.ConfigSummary(
        config=config(msg.config),
        expectations=[
            s.ExpectationSummary(
                expectation=expectation(e.expectation),
                latest=result(e.latest) if e.HasField("latest") else None,
                breaches_30d=e.breaches_30d,
                trend_7d=e.trend_7d,
            )
            for e in msg.expectations
        ],
        open_breaches=msg.open_breaches,
        last_run=run(msg.last_run) if msg.HasField("last_run") else None,
    )


def breach(msg: pb.Breach) -> s.Breach:
    return s.Breach(
        id=msg.id,
        expectation_id=msg.expectation_id,
        config_id=msg.config_id,
        object_ref=msg.object_ref,
        metric_type=msg.metric_type,
        column=optional(msg.column),
        priority=msg.priority,
        bucket=date.fromisoformat(msg.bucket),
        value=msg.value,
        threshold_low=msg.threshold_low if msg.HasField("threshold_low") else None,
        threshold_high=msg.threshold_high if msg.HasField("threshold_high") else None,
        direction=msg.direction,
        deviation=msg.deviation,
        status=msg.status,
        status_changed_by=optional(msg.status_changed_by),
        status_reason=optional(msg.status_reason),
        run_id=msg.run_id or None,
        detected_at=timestamp(msg, "detected_at"),
        updated_at=timestamp(msg, "updated_at"),
    )
