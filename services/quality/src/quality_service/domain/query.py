"""A statement for a data source: SQL written through the source's dialect, its bind parameters,
and what each result column means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Query:
    sql: str
    params: Any  # list for positional ($1) drivers, dict for named (:name) ones
    # result column alias → what it holds: (metric_type, column) for DQ metrics, (key, what) for
    # rules, ('column', name) / ('occurrences', '') for samples
    aliases: dict[str, tuple[str, str]]
