"""DQ configs and expectations: validation of a config's date column, format, grain and time
zone, and the specs of new configs and expectations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dcconnectors.dialect import Dialect
from dcconnectors.types import TEMPORAL, TEXT
from dckit.errors import InvalidArgument
from quality_service.domain.dq_grain import validate_grain


def date_family(
    date_column: str, date_format: str, columns: dict[str, str], dialect: Dialect
) -> str:
    """How the date column is bucketed: 'date' | 'timestamp' | 'timestamptz' | 'text'."""
    if not date_column:
        raise InvalidArgument("date_column is required")
    if date_column not in columns:
        raise InvalidArgument(f"date_column {date_column!r} is not in the catalog for this object")
    family = dialect.type_family(columns[date_column])
    if family in TEMPORAL:
        if date_format:
            raise InvalidArgument("date_format applies only to a text date column")
        return family
    if family == TEXT:
        if not date_format:
            raise InvalidArgument(
                f"date_column {date_column!r} is text: date_format is required (e.g. YYYY-MM-DD)"
            )
        return "text"
    raise InvalidArgument(
        f"date_column {date_column!r} is {columns[date_column]}, not a date, timestamp or text"
    )


def validate_timezone(timezone: str) -> str:
    timezone = timezone or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidArgument(f"unknown timezone {timezone!r}") from exc
    return timezone


def validate(
    date_column: str,
    date_format: str,
    grain: str,
    timezone: str,
    columns: dict[str, str],
    dialect: Dialect,
) -> tuple[str, str, str]:
    """(family, grain, timezone) of a valid config."""
    return (
        date_family(date_column, date_format, columns, dialect),
        validate_grain(grain or "daily"),
        validate_timezone(timezone),
    )


CONFIG_FIELDS = ("date_column", "date_format", "grain", "timezone", "enabled")
EXPECTATION_FIELDS = ("threshold", "priority", "enabled")


@dataclass(frozen=True)
class DqConfigSpec:
    """A new DQ config of an object (named apart): how its rows are dated and bucketed."""

    date_column: str
    date_format: str = ""
    grain: str = ""  # '' = daily
    timezone: str = ""  # '' = UTC
    enabled: bool = True


@dataclass(frozen=True)
class ExpectationSpec:
    """A new expectation of a config: a metric (of a column) and how its values are judged."""

    config_id: int
    metric_type: str
    column: str = ""
    threshold: dict[str, Any] = field(default_factory=dict)
    priority: str = ""  # '' = medium
    enabled: bool = True


def config_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit trail records of a config."""
    return {k: row[k] for k in ("object_ref", *CONFIG_FIELDS)}


def expectation_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("metric_type", "column_name", *EXPECTATION_FIELDS)}
