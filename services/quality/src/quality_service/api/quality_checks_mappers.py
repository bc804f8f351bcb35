"""Check runs, their checks and the quality score → protobuf, and the payload of the
check.completed / check.failed events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from datacompass.quality.v1 import quality_rules_pb2 as pb
from dckit.protoconv import to_message, ts
from quality_service.application.ports import Row
from quality_service.application.quality_checks import CheckRunView, ScoreView
from quality_service.domain.json_values import json_safe


def check(row: Mapping[str, Any]) -> pb.QualityCheck:
    return to_message(
        pb.QualityCheck,
        row,
        complete=True,
        rename={"column": "column_name"},
        sample_failures=json_safe(row["sample_failures"] or []),
        details=json_safe(row["details"] or {}),
    )


def check_run(view: CheckRunView) -> pb.CheckRun:
    run = view.run
    return to_message(
        pb.CheckRun,
        run,
        complete=True,
        execution_context=json_safe(run["execution_context"] or {}),
        checks=[check(c) for c in view.checks],
    )


def run_finished(run: Row, checks: Sequence[Mapping[str, Any]]) -> pb.CheckRunFinished:
    return pb.CheckRunFinished(run=check_run(CheckRunView(run, checks)))


def score(view: ScoreView) -> pb.QualityScore:
    return pb.QualityScore(
        object_urn=view.object_urn,
        object_ref=view.object_ref,
        score=view.score.score,
        dimensions=view.score.dimensions,
        checks_counted=view.score.checks_counted,
        run_id=view.run_id,
        as_of=ts(view.as_of),
    )
