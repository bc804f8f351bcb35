"""DQ results and config summaries → protobuf."""

from __future__ import annotations

from datacompass.quality.v1 import dq_pb2 as pb
from dckit.protoconv import to_message
from quality_service.api.dq_configs_mappers import config, expectation
from quality_service.api.dq_runs_mappers import run
from quality_service.application.dq_results import ConfigSummary
from quality_service.application.ports import Row


def result(row: Row) -> pb.DqResult:
    return to_message(
        pb.DqResult,
        row,
        complete=True,
        threshold_strategy=(row["threshold"] or {}).get("strategy", ""),
        is_breach=row["status"] == "breach",
    )


def summary(s: ConfigSummary) -> pb.ConfigSummary:
    return pb.ConfigSummary(
        config=config(s.config),
        expectations=[
            pb.ExpectationSummary(
                expectation=expectation(e.expectation),
                latest=result(e.latest) if e.latest else None,
                breaches_30d=e.breaches_30d,
                trend_7d=e.trend_7d,
            )
            for e in s.expectations
        ],
        open_breaches=s.open_breaches,
        last_run=run(s.last_run) if s.last_run else None,
    )
