"""What a quality rule type is (docs/quality-rules.md). One module per type, or per family of
types that are one code with a parameter, subclasses `RuleType` and provides:

- `validate`: its rule_config checked against the object's columns, normalised (every key,
  defaults filled in);
- its SQL, written through the source's dialect (quoting, parameters): `aggregates` when the
  object's one shared scan answers it, else `batch_part`, its branch of the UNION ALL statement
  shared by every rule of the same `own_pass` kind; `sample` for its failing rows;
- `judge`: the verdict (and measured/threshold values, counts, details) from what the SQL
  returned;
- `expected`: what it expects, in words.

`rule_types/__init__.py` registers every type by name. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from dcconnectors.dialect import Dialect, Params
from quality_service.domain.objects import CatalogObject
from quality_service.domain.rule_types.config import Columns

Level = Literal["column", "capsule", "either"]


@dataclass(frozen=True)
class RuleSpec:
    rule_type: str
    category: str
    column: str  # '' for capsule-level rules
    config: dict[str, Any]  # normalised: every key present, defaults filled in
    severity: str = "warning"
    blocking: bool = False


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


@dataclass(frozen=True)
class Validation:
    """What a config is checked against: the object's typed columns, the objects its config
    references (None: only the reference's form is checked) and its source."""

    columns: Columns
    references: Mapping[str, CatalogObject] | None = None
    source_name: str = ""


@dataclass(frozen=True)
class Sql:
    """What a rule's SQL is written with: the source's dialect `d`, the statement's bind
    parameters `b`, the object's columns (name → type) and the time of the check (the shared
    scan's rules may compare with it; batches and samples do not)."""

    d: Dialect
    b: Params
    columns: Mapping[str, str]
    now: datetime | None = None

    def col(self, name: str, prefix: str = "") -> str:
        return prefix + self.d.quote(name)


@dataclass(frozen=True)
class Judging:
    """What a verdict may use besides the rule's values: the object's row count (None when the
    shared scan failed), the dialect and columns, the time of the check."""

    total: int | None
    dialect: Dialect
    columns: Mapping[str, str]
    now: datetime


class RuleType:
    """One quality rule type. Class attributes describe how it is evaluated; methods give its
    validation, SQL, verdict and text. A type answered by the shared scan overrides
    `aggregates`; one with `own_pass` set overrides `batch_part`."""

    name: str
    category: str
    level: Level = "column"  # its `column` must be set, empty, or either
    row_level = False  # its result is a count of failing rows; takes max_failure_percent
    own_pass = ""  # "" = the shared scan; else the kind of batch statement it shares
    share_of_rows = False  # judged as a share of all rows (needs the shared scan's count(*))
    group_samples = False  # samples are duplicated values with their occurrences
    own_columns = False  # samples are whatever its SQL selects (no column to mask by)
    value_measure = False  # measured/threshold values are statistics of the column's values
    admin_only = False  # runs arbitrary SQL on the source: only admins manage it

    @property
    def needs_total(self) -> bool:
        return self.row_level or self.share_of_rows

    def validate(self, column: str, cfg: Mapping[str, Any], v: Validation) -> dict[str, Any]:
        """The normalised config (row-level types get max_failure_percent from the caller)."""
        return {}

    def references(self, config: Mapping[str, Any]) -> list[str]:
        """Refs of other catalog objects the config names (looked up before validate)."""
        return []

    def columns(self, spec: RuleSpec) -> list[str]:
        """The object's columns this rule reads (what its failing-row samples show)."""
        return [spec.column] if spec.column else []

    # -- SQL ----------------------------------------------------------------------------------
    def aggregates(self, spec: RuleSpec, sql: Sql) -> dict[str, str]:
        """what → SQL aggregate over the object's rows, for the shared scan."""
        raise ValueError(f"{self.name} is not part of the shared scan")

    def batch_part(
        self, spec: RuleSpec, sql: Sql, table: str, reference_table: str
    ) -> tuple[str, str, str, str]:
        """(FROM-and-rest, v1, v2, v3) of this rule's row in its kind's batch statement."""
        raise ValueError(f"{self.name} has no batch statement")

    def sample(self, spec: RuleSpec, sql: Sql, table: str, reference_table: str) -> str | None:
        """`FROM …` (the object's rows aliased `a`) giving its failing rows; None for rules
        about the whole object (no failing rows to show)."""
        return None

    # -- verdict -------------------------------------------------------------------------------
    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        """Fills measured/threshold values, counts and details of `o` from the statement's
        values `v`; True when the rule passed."""
        raise NotImplementedError

    def expected(self, spec: RuleSpec) -> str:
        raise NotImplementedError


class PredicateRule(RuleType):
    """A row-level rule that tests one row at a time: the shared scan counts the rows meeting
    `predicate` (a filtered aggregate), its samples are those rows."""

    row_level = True

    def predicate(self, spec: RuleSpec, sql: Sql, prefix: str = "") -> str:
        """The condition a failing row meets (columns prefixed with `prefix`)."""
        raise NotImplementedError

    def aggregates(self, spec: RuleSpec, sql: Sql) -> dict[str, str]:
        return {"failures": sql.d.count_if(self.predicate(spec, sql))}

    def sample(self, spec: RuleSpec, sql: Sql, table: str, reference_table: str) -> str | None:
        return f"FROM {table} a WHERE {self.predicate(spec, sql, 'a.')}"

    def judge(self, o: CheckOutcome, spec: RuleSpec, v: Mapping[str, Any], j: Judging) -> bool:
        return judge_failing_rows(o, spec, int(v["failures"]), j.total)


# -- shared pieces of verdicts and texts --------------------------------------------------------


def percent(part: float, total: int | None) -> float | None:
    if total is None:
        return None
    return part / total * 100.0 if total else 0.0


def judge_failing_rows(o: CheckOutcome, spec: RuleSpec, failures: int, total: int | None) -> bool:
    """A row-level verdict: the share of failing rows within max_failure_percent."""
    pct = percent(failures, total)
    o.failure_count, o.failure_percentage = failures, pct
    o.measured_value = pct
    o.threshold_value = float(spec.config["max_failure_percent"])
    return pct is not None and pct <= spec.config["max_failure_percent"]


def as_float(v: Any) -> float | None:
    return None if v is None else float(v)


def g(v: Any) -> str:
    """A number as the expected text shows it (floats without trailing zeros)."""
    return f"{v:g}" if isinstance(v, float) else str(v)


def bounds(lo: Any, hi: Any, what: str, inclusive: bool = True) -> str:
    op = "<=" if inclusive else "<"
    if lo is not None and hi is not None:
        return f"{g(lo)} {op} {what} {op} {g(hi)}"
    if lo is not None:
        return f"{what} {'>=' if inclusive else '>'} {g(lo)}"
    return f"{what} {op} {g(hi)}"


def tolerance(spec: RuleSpec) -> str:
    """The failing rows a row-level rule tolerates, as a suffix of its expected text."""
    allowed = spec.config.get("max_failure_percent")
    return f" (failing rows <= {g(allowed)}%)" if allowed else ""
