"""Profile runs, column profiles and rule suggestions → protobuf."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datacompass.quality.v1 import quality_rules_pb2 as pb
from dckit.protoconv import to_message
from quality_service.application.profiles import ProfileRunView, SuggestionView
from quality_service.application.samples import VALUE_STATS
from quality_service.domain.json_values import json_safe


def column_profile(row: Mapping[str, Any], masked: frozenset[str]) -> pb.ColumnProfile:
    column = row["column_name"]
    return to_message(
        pb.ColumnProfile,
        row,
        complete=True,
        rename={"column": "column_name"},
        stats=json_safe(row["stats"]),
        masked=masked_fields(row["stats"]) if column in masked else [],
    )


def masked_fields(stats: Mapping[str, Any]) -> list[str]:
    keys = (*VALUE_STATS, "most_common_values", "histogram")
    return [k for k in keys if stats.get(k) not in (None, [])]


def profile_run(view: ProfileRunView) -> pb.ProfileRun:
    return to_message(
        pb.ProfileRun,
        view.run,
        complete=True,
        columns=[column_profile(c, view.masked) for c in view.columns],
    )


def suggestion(view: SuggestionView) -> pb.RuleSuggestion:
    s = view.suggestion
    return to_message(
        pb.RuleSuggestion,
        s.to_dict(),
        complete=True,
        config=json_safe(view.shown.get("rule_config", s.rule_config)),
        reason=view.shown.get("reason", s.reason),
        exists=view.exists,
    )
