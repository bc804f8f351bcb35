"""Rule suggestions from a column profile: rules the profiled data already satisfies (or nearly:
a rule for a format or pattern that 98% of values follow tolerates the observed rest through
max_failure_percent). rule_config follows the rules contract exactly."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from quality_service.domain.profiling import ColumnProfile, ObjectProfile, is_float_type

NEAR_ALL = 98.0  # % of non-null values a format or pattern must cover to be proposed
MAX_SET_SIZE = 10
MIN_ROWS_FOR_SET = 20


@dataclass(frozen=True)
class Suggestion:
    key: str  # stable id: "<column>:<rule_type>"
    column: str
    rule_type: str
    rule_config: dict[str, Any] = field(default_factory=dict)
    severity: str = "warning"
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _make(prof: ColumnProfile, rule_type: str, config: dict[str, Any], reason: str) -> Suggestion:
    severity = "error" if rule_type in ("not_null", "unique") else "warning"
    return Suggestion(
        f"{prof.column}:{rule_type}", prof.column, rule_type, config, severity, reason
    )


def _tolerance(covered: int, of: int) -> dict[str, Any]:
    """max_failure_percent allowing the observed failures (rounded up to 0.01), if any."""
    if covered >= of:
        return {}
    return {"max_failure_percent": math.ceil((of - covered) / of * 10000) / 100}


def _bound(value: float, data_type: str) -> float | int:
    return int(value) if value.is_integer() and not is_float_type(data_type) else value


def _fmt(pct: float) -> str:
    return f"{pct:.2f}".rstrip("0").rstrip(".")


def suggest(profile: ColumnProfile) -> list[Suggestion]:
    p = profile
    out: list[Suggestion] = []
    non_null = p.non_null_count
    if p.total_count > 0 and p.null_count == 0:
        out.append(_make(p, "not_null", {}, f"None of the {p.total_count} profiled rows is NULL."))
    if non_null >= 2 and p.distinct_count == non_null and not is_float_type(p.data_type):
        out.append(
            _make(
                p,
                "unique",
                {},
                f"All {non_null} non-null values are distinct ({p.distinct_count} distinct).",
            )
        )
    values = [v for v in p.most_common_values if v["value"] is not None]
    covered = sum(int(v["count"]) for v in values)
    if (
        non_null >= MIN_ROWS_FOR_SET
        and 0 < p.distinct_count <= MAX_SET_SIZE
        and p.distinct_count < non_null
        and covered == non_null
        and (
            p.family in ("text", "other")
            or (p.family == "numeric" and not is_float_type(p.data_type))
        )
    ):
        allowed = sorted(str(v["value"]) for v in values)
        out.append(
            _make(
                p,
                "value_in_set",
                {"allowed_values": allowed, "case_sensitive": True},
                f"Only {p.distinct_count} distinct values cover all {non_null} non-null rows.",
            )
        )
    if p.family == "numeric" and p.min_value is not None and p.max_value is not None:
        lo, hi = _bound(p.min_value, p.data_type), _bound(p.max_value, p.data_type)
        out.append(
            _make(
                p,
                "range_check",
                {"min": lo, "max": hi, "inclusive": True},
                f"The {non_null} non-null values range from {lo} to {hi}.",
            )
        )
    has_format = False
    if non_null and p.formats:
        name, count = max(p.formats.items(), key=lambda kv: kv[1])
        pct = count / non_null * 100.0
        if pct >= NEAR_ALL:
            has_format = True
            out.append(
                _make(
                    p,
                    "format_valid",
                    {"format": name, **_tolerance(count, non_null)},
                    f"{_fmt(pct)}% of the {non_null} non-null values ({count}) are valid {name}.",
                )
            )
    if not has_format and non_null and p.detected_patterns:
        top = p.detected_patterns[0]
        count = int(top["match_count"])
        pct = count / non_null * 100.0
        if pct >= NEAR_ALL:
            config = {
                "pattern": top["pattern"],
                "pattern_description": f"Shape of {_fmt(pct)}% of the profiled values",
                **_tolerance(count, non_null),
            }
            out.append(
                _make(
                    p,
                    "pattern_match",
                    config,
                    f"{_fmt(pct)}% of the {non_null} non-null values ({count}) match "
                    f"{top['pattern']}.",
                )
            )
    return out


def suggest_all(profile: ObjectProfile) -> list[Suggestion]:
    return [s for column in profile.columns for s in suggest(column)]
