"""The quality-rule catalogue (docs/quality-rules.md): which rule types exist, the rule_config
each one takes, and checking a rule against the catalog's columns before it is stored or run.
Pure: no I/O. The SQL is built in rule_sql; running it is application/checks."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import re2

from dcconnectors.dialect import Dialect
from dcconnectors.types import NUMERIC, TEMPORAL, TEXT
from dckit.errors import InvalidArgument
from quality_service.domain.formats import FORMATS as FORMAT_TABLE

if TYPE_CHECKING:  # the domain only reads its fields
    from quality_service.application.ports import CatalogObject

CATEGORY: dict[str, str] = {
    "not_null": "completeness",
    "no_empty_strings": "completeness",
    "completeness_threshold": "completeness",
    "value_in_set": "validity",
    "pattern_match": "validity",
    "format_valid": "validity",
    "type_valid": "validity",
    "range_check": "validity",
    "length_check": "validity",
    "unique": "uniqueness",
    "unique_combination": "uniqueness",
    "duplicate_threshold": "uniqueness",
    "referential_integrity": "consistency",
    "cross_field_validation": "consistency",
    "freshness": "timeliness",
    "recency_check": "timeliness",
    "distribution_check": "distribution",
    "outlier_detection": "distribution",
    "statistical_threshold": "distribution",
    "custom_sql": "custom",
}
RULE_TYPES: tuple[str, ...] = tuple(CATEGORY)
CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(CATEGORY.values()))
SEVERITIES: tuple[str, ...] = ("info", "warning", "error", "critical")
# Severities whose failing check is status 'failed' (the others give 'warning').
FAILING_SEVERITIES = frozenset({"error", "critical"})

# Rules whose result is a count of failing rows; they accept max_failure_percent.
ROW_LEVEL = frozenset(
    {
        "not_null",
        "no_empty_strings",
        "value_in_set",
        "pattern_match",
        "format_valid",
        "type_valid",
        "range_check",
        "length_check",
        "unique",
        "unique_combination",
        "referential_integrity",
        "cross_field_validation",
    }
)
# Where the rule's `column` must be set ('column'), empty ('capsule') or either.
_LEVEL: dict[str, str] = {t: "column" for t in RULE_TYPES} | {
    "unique_combination": "capsule",
    "cross_field_validation": "capsule",
    "custom_sql": "capsule",
    "duplicate_threshold": "either",
    "statistical_threshold": "either",  # row_count needs no column
}

FORMATS = tuple(FORMAT_TABLE)
VALUE_TYPES = ("integer", "decimal", "boolean", "date", "timestamp", "uuid")
OPERATORS = ("<", "<=", "=", "!=", ">", ">=")
STATISTICS = (
    "mean",
    "median",
    "min",
    "max",
    "sum",
    "stddev",
    "variance",
    "row_count",
    "null_count",
    "distinct_count",
)
NUMERIC_STATISTICS = frozenset({"mean", "median", "min", "max", "sum", "stddev", "variance"})
OUTLIER_METHODS = ("iqr", "z_score")
DISTRIBUTIONS = ("normal",)


@dataclass(frozen=True)
class RuleSpec:
    rule_type: str
    category: str
    column: str  # '' for capsule-level rules
    config: dict[str, Any]  # normalised: every key present, defaults filled in
    severity: str = "warning"
    blocking: bool = False

    @property
    def row_level(self) -> bool:
        return self.rule_type in ROW_LEVEL

    def columns(self) -> list[str]:
        """The object's columns this rule reads (what its failing-row samples show)."""
        c = self.config
        if self.rule_type == "unique_combination":
            return list(c["columns"])
        if self.rule_type == "duplicate_threshold":
            return list(c["columns"])
        if self.rule_type == "cross_field_validation":
            return [c["left"], c["right"]] if c["left"] != c["right"] else [c["left"]]
        return [self.column] if self.column else []


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    spec: RuleSpec


@dataclass
class CheckOutcome:
    rule_id: int
    status: str  # 'passed' | 'failed' | 'warning' | 'error' | 'skipped'
    measured_value: float | None = None
    expected_value: str = ""
    threshold_value: float | None = None
    failure_count: int | None = None
    failure_percentage: float | None = None
    total_count: int | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    duration_ms: int = 0
    details: dict[str, Any] = field(default_factory=dict)


def status_for(passed: bool, severity: str) -> str:
    if passed:
        return "passed"
    return "failed" if severity in FAILING_SEVERITIES else "warning"


def json_safe(value: Any) -> Any:
    """A value read from a source as something JSON can carry (samples, details)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return str(value)


# --- validation -------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SQL_START = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


def _err(key: str, what: str) -> InvalidArgument:
    return InvalidArgument(f"rule_config.{key}: {what}")


def _number(
    cfg: Mapping[str, Any],
    key: str,
    default: Any = None,
    *,
    lo: float | None = None,
    hi: float | None = None,
    required: bool = False,
) -> Any:
    if key not in cfg or cfg[key] is None:
        if required:
            raise _err(key, "is required")
        return default
    v = cfg[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _err(key, "must be a number")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise _err(
            key, f"must be between {lo:g} and {hi:g}" if hi is not None else f"must be >= {lo:g}"
        )
    return v


def _int(cfg: Mapping[str, Any], key: str, default: int | None, *, lo: int = 0) -> int | None:
    if key not in cfg or cfg[key] is None:
        return default
    v = cfg[key]
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise _err(key, "must be an integer")
    if v < lo:
        raise _err(key, f"must be >= {lo}")
    return v


def _bool(cfg: Mapping[str, Any], key: str, default: bool) -> bool:
    v = cfg.get(key, default)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise _err(key, "must be true or false")
    return v


def _str(cfg: Mapping[str, Any], key: str, default: str | None = None) -> str:
    v = cfg.get(key, default)
    if v is None:
        raise _err(key, "is required")
    if not isinstance(v, str):
        raise _err(key, "must be a string")
    return v


def _choice(
    cfg: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str | None = None
) -> str:
    v = _str(cfg, key, default)
    if v not in choices:
        raise _err(key, f"must be one of {', '.join(choices)}")
    return v


def _column_ref(cfg: Mapping[str, Any], key: str, columns: Mapping[str, str]) -> str:
    v = _str(cfg, key)
    if v not in columns:
        raise _err(key, f"column {v!r} is not in the catalog for this object")
    return v


def duration_seconds(value: Any, key: str) -> float:
    """'30m' | '24h' | '7d' | '90s' | a number of seconds → seconds (> 0)."""
    if isinstance(value, bool):
        raise _err(key, "must be a duration like 30m, 24h, 7d or a number of seconds")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    else:
        raise _err(key, "must be a duration like 30m, 24h, 7d or a number of seconds")
    if not math.isfinite(seconds) or seconds <= 0:
        raise _err(key, "must be a positive duration")
    return seconds


class Columns(dict[str, str]):
    """An object's columns (name → data_type as its source reports it), which also know each
    column's type family (dcconnectors.types) in the source's dialect."""

    def __init__(self, types: Mapping[str, str], dialect: Dialect) -> None:
        super().__init__(types)
        self.dialect = dialect

    def family(self, column: str) -> str:
        return self.dialect.type_family(self[column])


def _need_family(
    rule_type: str, column: str, columns: Columns, families: frozenset[str], what: str
) -> None:
    if columns.family(column) not in families:
        raise InvalidArgument(
            f"column: {rule_type} needs a {what} column; {column!r} is {columns[column]}"
        )


def validate(
    rule_type: str,
    column: str,
    config: Mapping[str, Any] | None,
    *,
    columns: Mapping[str, str],
    dialect: Dialect,
    references: Mapping[str, CatalogObject] | None = None,
    source_name: str = "",
    severity: str = "warning",
    blocking: bool = False,
) -> RuleSpec:
    """Checks a rule against the object's columns (name → data_type, typed in the source's
    `dialect`) and returns it with its config normalised. `references` (ref → object) are the
    objects referential_integrity rules name (see referenced_objects); without it only the
    reference's form is checked."""
    if rule_type == "custom_function":
        raise InvalidArgument("rule_type: custom_function is not supported; use custom_sql")
    if rule_type not in CATEGORY:
        raise InvalidArgument(
            f"rule_type: unknown {rule_type!r}; expected one of {', '.join(RULE_TYPES)}"
        )
    if severity not in SEVERITIES:
        raise InvalidArgument(f"severity: must be one of {', '.join(SEVERITIES)}")
    if not isinstance(blocking, bool):
        raise InvalidArgument("blocking: must be true or false")
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise InvalidArgument("rule_config: must be an object")
    column = column or ""
    level = _LEVEL[rule_type]
    if level == "capsule" and column:
        raise InvalidArgument(f"column: {rule_type} is an object-level rule; leave column empty")
    if column and column not in columns:
        raise InvalidArgument(f"column: {column!r} is not in the catalog for this object")
    if level == "column" and not column:
        raise InvalidArgument(f"column: {rule_type} needs a column")
    typed = Columns(columns, dialect)
    cfg = _CHECKS[rule_type](rule_type, column, config, typed, references, source_name)
    if rule_type in ROW_LEVEL:
        cfg["max_failure_percent"] = _number(config, "max_failure_percent", 0, lo=0, hi=100)
    allowed = set(cfg)
    unknown = sorted(str(k) for k in config if k not in allowed)
    if unknown:
        raise _err(
            unknown[0],
            f"unknown key for {rule_type}; allowed: {', '.join(sorted(allowed)) or 'none'}",
        )
    return RuleSpec(rule_type, CATEGORY[rule_type], column, cfg, severity, blocking)


def _none(rule_type: str, column: str, cfg: Mapping[str, Any], *_: Any) -> dict[str, Any]:
    return {}


def _no_empty(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    _need_family(rule_type, column, columns, frozenset({TEXT}), "text")
    return {"trim": _bool(cfg, "trim", True)}


def _completeness(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    allow_empty = _bool(cfg, "allow_empty", True)
    if not allow_empty:
        _need_family(rule_type, column, columns, frozenset({TEXT}), "text (allow_empty false)")
    return {
        "threshold_percent": _number(cfg, "threshold_percent", 95.0, lo=0, hi=100),
        "allow_empty": allow_empty,
    }


def _value_in_set(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    values = cfg.get("allowed_values")
    if not isinstance(values, list) or not values:
        raise _err("allowed_values", "must be a non-empty list")
    if len(values) > 10_000:
        raise _err("allowed_values", "at most 10000 values")
    numeric = columns.family(column) == NUMERIC
    for i, v in enumerate(values):
        ok = (
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            if numeric
            else isinstance(v, (str, int, float, bool))
        )
        if not ok:
            raise _err(
                f"allowed_values[{i}]",
                "must be a number" if numeric else "must be a string, number or boolean",
            )
    case_sensitive = _bool(cfg, "case_sensitive", True)
    return {"allowed_values": list(values), "case_sensitive": case_sensitive}


def compile_pattern(pattern: str, key: str = "pattern") -> Any:
    try:
        return re2.compile(pattern)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        raise _err(
            key,
            f"not a valid RE2 pattern ({detail}); lookarounds and backreferences are not supported",
        ) from None


def _pattern(rule_type: str, column: str, cfg: Mapping[str, Any], *_: Any) -> dict[str, Any]:
    pattern = _str(cfg, "pattern")
    if not pattern:
        raise _err("pattern", "must not be empty")
    if len(pattern) > 1000:
        raise _err("pattern", "at most 1000 characters")
    compile_pattern(pattern)
    return {"pattern": pattern, "pattern_description": _str(cfg, "pattern_description", "")}


def _format(rule_type: str, column: str, cfg: Mapping[str, Any], *_: Any) -> dict[str, Any]:
    return {"format": _choice(cfg, "format", FORMATS)}


def _type_valid(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    _need_family(rule_type, column, columns, frozenset({TEXT}), "text")
    return {"type": _choice(cfg, "type", VALUE_TYPES)}


def _range(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    _need_family(rule_type, column, columns, frozenset({NUMERIC}), "numeric")
    lo, hi = _number(cfg, "min"), _number(cfg, "max")
    if lo is None and hi is None:
        raise _err("min", "give min, max or both")
    if lo is not None and hi is not None and lo > hi:
        raise _err("min", "must be <= max")
    return {"min": lo, "max": hi, "inclusive": _bool(cfg, "inclusive", True)}


def _length(rule_type: str, column: str, cfg: Mapping[str, Any], *_: Any) -> dict[str, Any]:
    lo, hi = _int(cfg, "min_length", None), _int(cfg, "max_length", None)
    if lo is None and hi is None:
        raise _err("min_length", "give min_length, max_length or both")
    if lo is not None and hi is not None and lo > hi:
        raise _err("min_length", "must be <= max_length")
    return {"min_length": lo, "max_length": hi}


def _column_list(
    cfg: Mapping[str, Any], key: str, columns: Mapping[str, str], *, required: bool
) -> list[str] | None:
    v = cfg.get(key)
    if v is None and not required:
        return None
    if not isinstance(v, list) or not v:
        raise _err(key, "must be a non-empty list of column names")
    for i, c in enumerate(v):
        if not isinstance(c, str) or c not in columns:
            raise _err(f"{key}[{i}]", f"column {c!r} is not in the catalog for this object")
    if len(set(v)) != len(v):
        raise _err(key, "lists a column twice")
    return list(v)


def _unique_combination(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    cols = _column_list(cfg, "columns", columns, required=True)
    assert cols is not None
    return {"columns": cols}


def _duplicates(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    cols = _column_list(cfg, "columns", columns, required=False)
    if cols is None:
        cols = [column] if column else list(columns)
    if not cols:
        raise _err("columns", "the object has no columns")
    return {
        "columns": cols,
        "max_duplicate_percent": _number(cfg, "max_duplicate_percent", 0, lo=0, hi=100),
    }


def _reference(
    rule_type: str,
    column: str,
    cfg: Mapping[str, Any],
    columns: Columns,
    references: Mapping[str, CatalogObject] | None,
    source_name: str,
) -> dict[str, Any]:
    ref = _str(cfg, "reference")
    parts = ref.split(".")
    if len(parts) != 3 or not all(parts):
        raise _err("reference", "must be source.schema.table")
    if source_name and parts[0] != source_name:
        raise _err("reference", f"must be in the same source ({source_name})")
    ref_column = _str(cfg, "reference_column")
    if references is not None:
        obj = references.get(ref)
        if obj is None:
            raise _err("reference", f"{ref} is not in the catalog")
        if source_name and obj.source_name != source_name:
            raise _err("reference", f"must be in the same source ({source_name})")
        if ref_column not in obj.columns:
            raise _err("reference_column", f"column {ref_column!r} is not in {ref}")
    return {"reference": ref, "reference_column": ref_column}


_COMPARABLE = [frozenset({NUMERIC}), frozenset({TEXT}), TEMPORAL]


def _cross_field(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    left, right = _column_ref(cfg, "left", columns), _column_ref(cfg, "right", columns)
    op = _choice(cfg, "operator", OPERATORS)
    fl, fr = columns.family(left), columns.family(right)
    if fl != fr and not any(fl in g and fr in g for g in _COMPARABLE):
        raise _err(
            "right",
            f"{right!r} ({columns[right]}) cannot be compared with {left!r} ({columns[left]})",
        )
    return {"left": left, "operator": op, "right": right}


def _freshness(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    _need_family(rule_type, column, columns, TEMPORAL, "date or timestamp")
    if "max_age" not in cfg:
        raise _err("max_age", "is required")
    duration_seconds(cfg["max_age"], "max_age")
    return {"max_age": cfg["max_age"]}


def _recency(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    _need_family(rule_type, column, columns, TEMPORAL, "date or timestamp")
    if "window" not in cfg:
        raise _err("window", "is required")
    duration_seconds(cfg["window"], "window")
    return {"window": cfg["window"], "min_rows": _int(cfg, "min_rows", 1, lo=1)}


def _distribution(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    _need_family(rule_type, column, columns, frozenset({NUMERIC}), "numeric")
    mean, sd = _number(cfg, "mean"), _number(cfg, "std_dev", lo=0)
    if mean is None and sd is None:
        raise _err("mean", "give mean, std_dev or both")
    return {
        "expected_distribution": _choice(cfg, "expected_distribution", DISTRIBUTIONS, "normal"),
        "mean": mean,
        "std_dev": sd,
        "tolerance": _number(cfg, "tolerance", 0.1, lo=0),
    }


def _outliers(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    _need_family(rule_type, column, columns, frozenset({NUMERIC}), "numeric")
    method = _choice(cfg, "method", OUTLIER_METHODS, "iqr")
    k = _number(cfg, "sensitivity", 1.5 if method == "iqr" else 3.0, lo=0)
    if k <= 0:
        raise _err("sensitivity", "must be > 0")
    return {
        "method": method,
        "sensitivity": k,
        "max_outlier_percent": _number(cfg, "max_outlier_percent", 5.0, lo=0, hi=100),
    }


def _statistic(
    rule_type: str, column: str, cfg: Mapping[str, Any], columns: Columns, *_: Any
) -> dict[str, Any]:
    stat = _choice(cfg, "statistic", STATISTICS)
    if stat != "row_count" and not column:
        raise InvalidArgument(f"column: statistic {stat} needs a column")
    if stat in NUMERIC_STATISTICS:
        _need_family(
            rule_type, column, columns, frozenset({NUMERIC}), f"numeric (statistic {stat})"
        )
    lo, hi = _number(cfg, "min"), _number(cfg, "max")
    if lo is None and hi is None:
        raise _err("min", "give min, max or both")
    if lo is not None and hi is not None and lo > hi:
        raise _err("min", "must be <= max")
    return {"statistic": stat, "min": lo, "max": hi}


def _custom_sql(rule_type: str, column: str, cfg: Mapping[str, Any], *_: Any) -> dict[str, Any]:
    sql = _str(cfg, "sql").strip()
    if sql.endswith(";"):
        sql = sql[:-1].rstrip()
    if not sql:
        raise _err("sql", "must not be empty")
    if ";" in sql:
        raise _err("sql", "must be a single statement (no ';' except a trailing one)")
    if not _SQL_START.match(sql):
        raise _err("sql", "must be a SELECT or WITH query returning the failing rows")
    return {"sql": sql, "max_failures": _int(cfg, "max_failures", 0)}


_CHECKS: dict[str, Any] = {
    "not_null": _none,
    "no_empty_strings": _no_empty,
    "completeness_threshold": _completeness,
    "value_in_set": _value_in_set,
    "pattern_match": _pattern,
    "format_valid": _format,
    "type_valid": _type_valid,
    "range_check": _range,
    "length_check": _length,
    "unique": _none,
    "unique_combination": _unique_combination,
    "duplicate_threshold": _duplicates,
    "referential_integrity": _reference,
    "cross_field_validation": _cross_field,
    "freshness": _freshness,
    "recency_check": _recency,
    "distribution_check": _distribution,
    "outlier_detection": _outliers,
    "statistical_threshold": _statistic,
    "custom_sql": _custom_sql,
}


def referenced_objects(rule_type: str, config: Mapping[str, Any] | None) -> list[str]:
    """Object refs the caller must look up (and pass to validate/evaluate as `references`)."""
    if rule_type != "referential_integrity" or not isinstance(config, Mapping):
        return []
    ref = config.get("reference")
    return [ref] if isinstance(ref, str) and ref else []


# --- what is expected, in words -----------------------------------------------------------


def _g(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _bounds(lo: Any, hi: Any, what: str, inclusive: bool = True) -> str:
    op = "<=" if inclusive else "<"
    if lo is not None and hi is not None:
        return f"{_g(lo)} {op} {what} {op} {_g(hi)}"
    if lo is not None:
        return f"{what} {'>=' if inclusive else '>'} {_g(lo)}"
    return f"{what} {op} {_g(hi)}"


def expected_text(spec: RuleSpec) -> str:
    c, t = spec.config, spec.rule_type
    tolerance = ""
    if t in ROW_LEVEL and c.get("max_failure_percent"):
        tolerance = f" (failing rows <= {_g(c['max_failure_percent'])}%)"
    if t == "not_null":
        return f"NULL in <= {_g(c['max_failure_percent'])}% of rows"
    if t == "no_empty_strings":
        return f"empty strings in <= {_g(c['max_failure_percent'])}% of rows"
    if t == "completeness_threshold":
        what = "non-NULL" if c["allow_empty"] else "non-NULL, non-empty"
        return f"{what} in >= {_g(c['threshold_percent'])}% of rows"
    if t == "value_in_set":
        values = ", ".join(str(v) for v in c["allowed_values"])
        case = "" if c["case_sensitive"] else " (ignoring case)"
        return f"value in {{{values}}}{case}{tolerance}"
    if t == "pattern_match":
        return f"matches {c['pattern_description'] or '/' + c['pattern'] + '/'}{tolerance}"
    if t == "format_valid":
        return f"valid {c['format']}{tolerance}"
    if t == "type_valid":
        return f"readable as {c['type']}{tolerance}"
    if t == "range_check":
        return _bounds(c["min"], c["max"], "value", c["inclusive"]) + tolerance
    if t == "length_check":
        return _bounds(c["min_length"], c["max_length"], "length") + tolerance
    if t == "unique":
        return f"no duplicated values{tolerance}"
    if t == "unique_combination":
        return f"({', '.join(c['columns'])}) unique{tolerance}"
    if t == "duplicate_threshold":
        return f"duplicate rows <= {_g(c['max_duplicate_percent'])}%"
    if t == "referential_integrity":
        return f"value present in {c['reference']}.{c['reference_column']}{tolerance}"
    if t == "cross_field_validation":
        return f"{c['left']} {c['operator']} {c['right']}{tolerance}"
    if t == "freshness":
        return (
            f"newest value at most {c['max_age']}{'' if isinstance(c['max_age'], str) else 's'} old"
        )
    if t == "recency_check":
        window = c["window"] if isinstance(c["window"], str) else f"{_g(c['window'])}s"
        return f">= {c['min_rows']} rows in the last {window}"
    if t == "distribution_check":
        parts = [
            f"{k} {_g(c[k])} ± {_g(c['tolerance'] * 100)}%"
            for k in ("mean", "std_dev")
            if c[k] is not None
        ]
        return ", ".join(parts)
    if t == "outlier_detection":
        return (
            f"outliers ({c['method']}, k={_g(c['sensitivity'])}) in <= "
            f"{_g(c['max_outlier_percent'])}% of rows"
        )
    if t == "statistical_threshold":
        return _bounds(c["min"], c["max"], c["statistic"])
    if t == "custom_sql":
        return f"<= {c['max_failures']} rows returned"
    return ""
