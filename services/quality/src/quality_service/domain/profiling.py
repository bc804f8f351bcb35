"""Column profiling: the SQL that measures a table's columns (written once for every source
through its connector's dialect) and the shaping of its results into profiles. Pure: no I/O.
Identifiers are quoted by the dialect's quote(); values (regexes, bounds, limits, sample rate)
are bind parameters, except where an engine's grammar only takes a literal (Databricks'
TABLESAMPLE), which is then a number the dialect formats.

Per table, one statement (`scalar`) for every column's scalar statistics except the distinct count;
per column, one value-frequency statement (`top_values`) that groups by the value (a hash
aggregate) and yields both the most common values and the distinct count (the non-NULL groups, as
count(DISTINCT) counts them; values equal in their type, 7 and 7.0, are one): a count(DISTINCT) per
column in the scalar statement sorted every column. Value shapes map characters with translate()
(once per distinct value) and collapse runs into {n} here."""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from dcconnectors.dialect import Dialect, Params
from dcconnectors.types import NUMERIC, OTHER, TEMPORAL, TEXT
from quality_service.domain.formats import FORMAT_GATES, FORMATS
from quality_service.domain.query import Query

HISTOGRAM_BUCKETS = 10
PATTERN_LIMIT = 5
VALIDITY_DOMINANCE = 0.5  # a format must cover this share of values to define validity
_PERCENTILES = (0.25, 0.5, 0.75)
# Value shapes: upper → A, lower → a, digit → 9 (ASCII only, like [A-Z] in the regex engines).
# translate() looks each character up in `from` in order: digits first (only 10 of them, and
# ids, codes, dates, phones are mostly digits), then lower case.
_SHAPE_FROM = string.digits + string.ascii_lowercase + string.ascii_uppercase
_SHAPE_TO = "9" * 10 + "a" * 26 + "A" * 26
_FLOAT_TYPES = frozenset({"real", "double", "double precision", "float", "float4", "float8"})


def is_float_type(data_type: str) -> bool:
    return data_type.lower().split("(")[0].strip() in _FLOAT_TYPES


@dataclass
class ColumnProfile:
    column: str
    data_type: str
    family: str  # dcconnectors.types
    total_count: int = 0  # rows profiled (the sample when sampled)
    null_count: int = 0
    null_percentage: float | None = None
    distinct_count: int = 0
    unique_percentage: float | None = None  # distinct / non-null
    min_value: float | None = None
    max_value: float | None = None
    mean_value: float | None = None
    median_value: float | None = None
    std_dev: float | None = None
    variance: float | None = None
    percentile_25: float | None = None
    percentile_75: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    avg_length: float | None = None
    earliest: str | None = None
    latest: str | None = None
    most_common_values: list[dict[str, Any]] = field(default_factory=list)
    histogram: list[dict[str, Any]] = field(default_factory=list)
    detected_patterns: list[dict[str, Any]] = field(default_factory=list)
    formats: dict[str, int] = field(default_factory=dict)
    completeness_score: float | None = None
    validity_score: float | None = None
    uniqueness_score: float | None = None

    @property
    def non_null_count(self) -> int:
        return self.total_count - self.null_count

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ObjectProfile:
    row_count: int  # rows in the table (not the sample)
    sampled: bool
    sample_size: int  # rows profiled: row_count when not sampled
    sample_percentage: float  # 100.0 when not sampled
    duration_ms: int
    columns: list[ColumnProfile] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Sample:
    """Read `percentage` % of the rows; the same seed in every query of one profile makes
    them all see the same rows."""

    percentage: float
    seed: int


def sample_for(row_count: int, sample_rows: int | None, seed: int) -> Sample | None:
    if sample_rows is None or row_count <= sample_rows:
        return None
    return Sample(percentage=max(sample_rows / row_count * 100.0, 1e-6), seed=seed)


class ProfileSql:
    """Builds the profile's queries for one table. `columns`: name → data_type."""

    def __init__(
        self,
        dialect: Dialect,
        table: Sequence[str],
        columns: Mapping[str, str],
        sample: Sample | None = None,
    ) -> None:
        self.d = dialect
        self.q = dialect.quote
        self.table = dialect.table(table)
        self.columns = dict(columns)
        self.sample = sample

    # -- fragments ---------------------------------------------------------------------------

    def _from(self, p: Params) -> str:
        if self.sample is None:
            return self.table
        return self.d.sample(self.table, self.sample.percentage, self.sample.seed, p)

    def _float(self, expr: str) -> str:
        return self.d.cast(expr, "double")

    def _text(self, expr: str) -> str:
        return self.d.cast(expr, "text")

    def _count_matching(self, expr: str, like_param: str, regex_param: str) -> str:
        """Rows where `expr` matches the regex; the LIKE first (AND is evaluated left to right
        by the engines we know; only the speed depends on it)."""
        return self.d.count_if(f"{expr} LIKE {like_param} AND {self.d.matches(expr, regex_param)}")

    def _family(self, column: str) -> str:
        return self.d.type_family(self.columns[column])

    # -- queries -----------------------------------------------------------------------------

    def count(self) -> Query:
        return Query(f"SELECT count(*) AS n FROM {self.table}", self.d.params().bound, {})

    def scalar(self, columns: Sequence[str]) -> Query:
        """One statement for every column's scalar statistics but the distinct count (see
        top_values). Aliases map to (stat, column)."""
        p = self.d.params()
        aliases: dict[str, tuple[str, str]] = {"n": ("total", "")}
        select = ["count(*) AS n"]
        fmt_params: dict[str, tuple[str, str]] = {}  # format → (LIKE, regex) parameters

        def put(i: int, stat: str, column: str, expr: str) -> None:
            alias = f"c{i}_{stat}"
            aliases[alias] = (stat, column)
            select.append(f"{expr} AS {alias}")

        for i, column in enumerate(columns):
            c = self.q(column)
            family = self._family(column)
            put(i, "non_null", column, f"count({c})")
            if family == NUMERIC:
                x = self._float(c)
                put(i, "min", column, f"min({x})")
                put(i, "max", column, f"max({x})")
                put(i, "mean", column, self._float(f"avg({x})"))
                put(i, "std_dev", column, self._float(f"stddev_samp({x})"))
                put(i, "variance", column, self._float(f"var_samp({x})"))
                put(i, "percentiles", column, self.d.percentiles(x, _PERCENTILES))
            elif family == TEXT:
                length = f"length({c})"
                put(i, "min_length", column, f"min({length})")
                put(i, "max_length", column, f"max({length})")
                put(i, "avg_length", column, self._float(f"avg({length})"))
                for name, regex in FORMATS.items():
                    if name not in fmt_params:
                        like = p(FORMAT_GATES[name], "text")
                        fmt_params[name] = (like, p(regex, "text"))
                    count = self._count_matching(c, *fmt_params[name])
                    put(i, f"fmt_{name}", column, count)
            elif family in TEMPORAL:
                put(i, "earliest", column, f"min({c})")
                put(i, "latest", column, f"max({c})")
        sql = f"SELECT {', '.join(select)} FROM {self._from(p)}"
        return Query(sql, p.bound, aliases)

    def top_values(self, column: str, limit: int) -> Query:
        """The `limit` most frequent values as text (NULL included), most frequent first,
        ties by value in binary order; each row also carries `distinct_values`, the number of
        distinct non-NULL values. Grouped by the value itself (by its text for the 'other'
        family, which may have no equality), as count(DISTINCT) would count them."""
        p = self.d.params()
        c = self.q(column)
        key = self._text(c) if self._family(column) == OTHER else c
        source = self._from(p)
        lim = p(int(limit), "bigint")
        v = self._text("v")
        order = self.d.binary_order(v)
        # A cross join with the count rather than count(v) OVER (): Spark runs an unpartitioned
        # window in one task.
        sql = (
            f"WITH g AS (SELECT {key} AS v, count(*) AS n FROM {source} GROUP BY {key}) "
            f"SELECT t.value, t.n, d.distinct_values FROM "
            f"(SELECT {v} AS value, n FROM g ORDER BY n DESC, {order} NULLS LAST LIMIT {lim}) t "
            f"CROSS JOIN (SELECT count(v) AS distinct_values FROM g) d"
        )
        return Query(sql, p.bound, {})

    def histogram(self, column: str, low: float, high: float) -> Query:
        """Counts per equal-width bucket (1..HISTOGRAM_BUCKETS) between low and high (the
        column's min and max: the max itself belongs to the last bucket)."""
        p = self.d.params()
        x = self._float(self.q(column))
        source = self._from(p)
        lo, hi = p(float(low), "double"), p(float(high), "double")
        n = p(HISTOGRAM_BUCKETS, "integer")
        bucket = f"least(width_bucket({x}, {lo}, {hi}, {n}), {n})"
        sql = (
            f"SELECT {bucket} AS bucket, count(*) AS n FROM {source} "
            f"WHERE {self.q(column)} IS NOT NULL GROUP BY 1 ORDER BY 1"
        )
        return Query(sql, p.bound, {})

    def patterns(self, column: str, limit: int = PATTERN_LIMIT) -> Query:
        """The most frequent value shapes (upper → A, lower → a, digit → 9). Shaped once per
        distinct value (translate() costs far more per character than grouping by the value)."""
        p = self.d.params()
        c = self.q(column)
        source = self._from(p)
        src, dst = p(_SHAPE_FROM, "text"), p(_SHAPE_TO, "text")
        shape = f"translate(v, {src}, {dst})"
        lim = p(int(limit), "bigint")
        # Grouped by the text's bytes: a case-insensitive collation must not merge 'A' and 'a'.
        key = self.d.binary_order(self._text(c))
        order = self.d.binary_order("shape")
        sql = (
            f"SELECT shape, sum(k) AS n FROM (SELECT {shape} AS shape, k FROM "
            f"(SELECT {key} AS v, count(*) AS k FROM {source} WHERE {c} IS NOT NULL "
            f"GROUP BY {key}) g) s GROUP BY shape ORDER BY n DESC, {order} LIMIT {lim}"
        )
        return Query(sql, p.bound, {})


# -- result shaping --------------------------------------------------------------------------

_SHAPE_CLASS = {"A": "[A-Z]", "a": "[a-z]", "9": "[0-9]"}
_REGEX_SPECIAL = set(".^$*+?()[]{}|\\/")


def shape_regex(shape: str) -> str:
    """'AAA-9999' → '^[A-Z]{3}-[0-9]{4}$': runs of one character collapse into {n}."""
    out = ["^"]
    i = 0
    while i < len(shape):
        ch = shape[i]
        j = i
        while j < len(shape) and shape[j] == ch:
            j += 1
        token = _SHAPE_CLASS.get(ch) or ("\\" + ch if ch in _REGEX_SPECIAL else ch)
        run = j - i
        out.append(token if run == 1 else f"{token}{{{run}}}")
        i = j
    out.append("$")
    return "".join(out)


def _pct(part: int, whole: int) -> float | None:
    return part / whole * 100.0 if whole else None


def _num(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def column_profiles(
    row: Mapping[str, Any], query: Query, columns: Mapping[str, str], dialect: Dialect
) -> tuple[int, dict[str, ColumnProfile]]:
    """(rows profiled, column → profile with its scalar stats and scores) from the scalar
    query's row. The distinct count (and so uniqueness) comes later: value_counts()."""
    total = int(row["n"])
    profiles = {
        name: ColumnProfile(name, data_type, dialect.type_family(data_type), total_count=total)
        for name, data_type in columns.items()
    }
    for alias, (stat, column) in query.aliases.items():
        if not column:
            continue
        prof, value = profiles[column], row[alias]
        if stat == "non_null":
            prof.null_count = total - int(value)
        elif stat in ("min", "max", "mean", "std_dev", "variance"):
            target = {"min": "min_value", "max": "max_value", "mean": "mean_value"}.get(stat, stat)
            setattr(prof, target, _num(value))
        elif stat == "percentiles":
            p25, p50, p75 = list(value) if value is not None else (None, None, None)
            prof.percentile_25, prof.median_value, prof.percentile_75 = (
                _num(p25),
                _num(p50),
                _num(p75),
            )
        elif stat in ("min_length", "max_length"):
            setattr(prof, stat, None if value is None else int(value))
        elif stat == "avg_length":
            prof.avg_length = _num(value)
        elif stat.startswith("fmt_"):
            prof.formats[stat[4:]] = int(value or 0)
        elif stat in ("earliest", "latest"):
            setattr(prof, stat, _iso(value))
    for prof in profiles.values():
        score(prof)
    return total, profiles


def score(prof: ColumnProfile) -> None:
    """Percentages and 0-100 scores from the counts."""
    non_null = prof.non_null_count
    prof.null_percentage = _pct(prof.null_count, prof.total_count)
    prof.completeness_score = _pct(non_null, prof.total_count)
    prof.unique_percentage = prof.uniqueness_score = _pct(prof.distinct_count, non_null)
    prof.validity_score = None
    if prof.formats and non_null:
        best = max(prof.formats.values())
        if best >= VALIDITY_DOMINANCE * non_null:
            prof.validity_score = best / non_null * 100.0


def value_counts(prof: ColumnProfile, rows: Sequence[Mapping[str, Any]]) -> None:
    """The most common values and the distinct count from top_values' rows; rescores."""
    prof.most_common_values = most_common_values(rows, prof.total_count)
    prof.distinct_count = int(rows[0]["distinct_values"]) if rows else 0
    score(prof)


def most_common_values(rows: Sequence[Mapping[str, Any]], total: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "value": None if r["value"] is None else str(r["value"]),
            "count": int(r["n"]),
            "percentage": _pct(int(r["n"]), total) or 0.0,
        }
        for r in rows
    ]
    # Same order on every engine: count desc, then value (binary), NULL last.
    out.sort(key=lambda v: (-v["count"], v["value"] is None, v["value"] or ""))
    return out


def histogram(
    rows: Sequence[Mapping[str, Any]], low: float, high: float, non_null: int
) -> list[dict[str, Any]]:
    if high == low:  # one value: one bucket holding it
        return [{"low": low, "high": high, "count": non_null}] if non_null else []
    counts = {int(r["bucket"]): int(r["n"]) for r in rows}
    width = (high - low) / HISTOGRAM_BUCKETS
    return [
        {
            "low": low + (b - 1) * width,
            "high": high if b == HISTOGRAM_BUCKETS else low + b * width,
            "count": counts.get(b, 0),
        }
        for b in range(1, HISTOGRAM_BUCKETS + 1)
    ]


def detected_patterns(rows: Sequence[Mapping[str, Any]], non_null: int) -> list[dict[str, Any]]:
    return [
        {
            "pattern": shape_regex(str(r["shape"])),
            "match_count": int(r["n"]),
            "percentage": _pct(int(r["n"]), non_null) or 0.0,
        }
        for r in rows
    ]
