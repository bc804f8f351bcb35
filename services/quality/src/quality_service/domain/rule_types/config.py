"""Checking a rule_config's keys: each refusal is an InvalidArgument naming the key
(`rule_config.<key>: ...`), as the REST API returns it."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import re2

from dcconnectors.dialect import Dialect
from dckit.errors import InvalidArgument

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class Columns(dict[str, str]):
    """An object's columns (name → data_type as its source reports it), which also know each
    column's type family (dcconnectors.types) in the source's dialect."""

    def __init__(self, types: Mapping[str, str], dialect: Dialect) -> None:
        super().__init__(types)
        self.dialect = dialect

    def family(self, column: str) -> str:
        return self.dialect.type_family(self[column])


def err(key: str, what: str) -> InvalidArgument:
    return InvalidArgument(f"rule_config.{key}: {what}")


def need_family(
    rule_type: str, column: str, columns: Columns, families: frozenset[str], what: str
) -> None:
    if columns.family(column) not in families:
        raise InvalidArgument(
            f"column: {rule_type} needs a {what} column; {column!r} is {columns[column]}"
        )


def number(
    cfg: Mapping[str, Any],
    key: str,
    default: Any = None,
    *,
    lo: float | None = None,
    hi: float | None = None,
) -> Any:
    if key not in cfg or cfg[key] is None:
        return default
    v = cfg[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise err(key, "must be a number")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise err(
            key, f"must be between {lo:g} and {hi:g}" if hi is not None else f"must be >= {lo:g}"
        )
    return v


def integer(cfg: Mapping[str, Any], key: str, default: int | None, *, lo: int = 0) -> int | None:
    if key not in cfg or cfg[key] is None:
        return default
    v = cfg[key]
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise err(key, "must be an integer")
    if v < lo:
        raise err(key, f"must be >= {lo}")
    return v


def boolean(cfg: Mapping[str, Any], key: str, default: bool) -> bool:
    v = cfg.get(key, default)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise err(key, "must be true or false")
    return v


def string(cfg: Mapping[str, Any], key: str, default: str | None = None) -> str:
    v = cfg.get(key, default)
    if v is None:
        raise err(key, "is required")
    if not isinstance(v, str):
        raise err(key, "must be a string")
    return v


def choice(
    cfg: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str | None = None
) -> str:
    v = string(cfg, key, default)
    if v not in choices:
        raise err(key, f"must be one of {', '.join(choices)}")
    return v


def column_ref(cfg: Mapping[str, Any], key: str, columns: Mapping[str, str]) -> str:
    v = string(cfg, key)
    if v not in columns:
        raise err(key, f"column {v!r} is not in the catalog for this object")
    return v


def column_list(
    cfg: Mapping[str, Any], key: str, columns: Mapping[str, str], *, required: bool
) -> list[str] | None:
    v = cfg.get(key)
    if v is None and not required:
        return None
    if not isinstance(v, list) or not v:
        raise err(key, "must be a non-empty list of column names")
    for i, c in enumerate(v):
        if not isinstance(c, str) or c not in columns:
            raise err(f"{key}[{i}]", f"column {c!r} is not in the catalog for this object")
    if len(set(v)) != len(v):
        raise err(key, "lists a column twice")
    return list(v)


def min_max(cfg: Mapping[str, Any]) -> tuple[Any, Any]:
    """`min` and/or `max` (numbers), at least one, min <= max."""
    lo, hi = number(cfg, "min"), number(cfg, "max")
    if lo is None and hi is None:
        raise err("min", "give min, max or both")
    if lo is not None and hi is not None and lo > hi:
        raise err("min", "must be <= max")
    return lo, hi


def duration_seconds(value: Any, key: str) -> float:
    """'30m' | '24h' | '7d' | '90s' | a number of seconds → seconds (> 0)."""
    if isinstance(value, bool):
        raise err(key, "must be a duration like 30m, 24h, 7d or a number of seconds")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    else:
        raise err(key, "must be a duration like 30m, 24h, 7d or a number of seconds")
    if not math.isfinite(seconds) or seconds <= 0:
        raise err(key, "must be a positive duration")
    return seconds


def duration(cfg: Mapping[str, Any], key: str) -> Any:
    """A required duration, kept as given ('24h' stays text: the expected text quotes it)."""
    if key not in cfg:
        raise err(key, "is required")
    duration_seconds(cfg[key], key)
    return cfg[key]


def compile_pattern(pattern: str, key: str = "pattern") -> Any:
    try:
        return re2.compile(pattern)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        raise err(
            key,
            f"not a valid RE2 pattern ({detail}); lookarounds and backreferences are not supported",
        ) from None
