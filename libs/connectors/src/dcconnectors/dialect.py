"""What SQL looks like on one kind of source: quoting, table paths, type families, bind
parameters and the spellings that differ between engines. Quality's metric/rule/profile SQL and
governance's masking SQL are written once against this interface; each connector's dialect
module implements it. Pure string building: no driver is imported here or in a dialect.

Types named to `cast()` and to a parameter binder are neutral (`SQL_TYPES`, with `[]` for an
array); each dialect spells them its own way."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from dcconnectors.types import OTHER, base_type

SQL_TYPES = frozenset(
    {"text", "integer", "bigint", "real", "double", "numeric", "date", "timestamp", "timestamptz"}
)
# How a dialect enforces masking at the source (governance's masking SQL): one masked view
# per table, or a mask function attached to each column.
MASKING_STYLES = ("view", "column_mask")


class Params(ABC):
    """Collects the bind parameters of one statement and spells references to them."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    @abstractmethod
    def __call__(self, value: Any, sql_type: str = "", *, name: str = "") -> str:
        """Binds `value` and returns the reference to put in the SQL, typed as `sql_type`
        (one of SQL_TYPES, optionally with `[]`) where the engine needs it. `name` is a hint
        for engines with named parameters; the reference may be reused in the statement."""

    @property
    @abstractmethod
    def bound(self) -> Any:
        """The parameters as the driver takes them (a list or a dict)."""


class Dialect(ABC):
    name: ClassVar[str]  # the connector's name, e.g. "postgres"
    title: ClassVar[str]  # for messages, e.g. "PostgreSQL"
    # The names of a table's path below the source, outermost first.
    path_parts: ClassVar[tuple[str, ...]]
    max_identifier_bytes: ClassVar[int]
    masking_style: ClassVar[str | None] = None  # one of MASKING_STYLES; None: no masking SQL
    # base_type(data_type) → family (dcconnectors.types) for this engine's type names.
    type_families: ClassVar[Mapping[str, str]]

    # -- names and literals ------------------------------------------------------------------

    @abstractmethod
    def quote(self, name: str) -> str:
        """A quoted identifier: any name (dots, quotes, upper case) stays one identifier."""

    def table(self, path: Sequence[str]) -> str:
        """The qualified name of a table from its path ([schema, name], [catalog, ...])."""
        return ".".join(self.quote(part) for part in path)

    def path(self, schema: str, name: str, *, catalog: str = "") -> tuple[str, ...]:
        """A table's path on this engine; `catalog` is used where the engine has one."""
        parts = {"catalog": catalog, "schema": schema, "name": name}
        return tuple(parts[p] for p in self.path_parts)

    @abstractmethod
    def literal(self, value: Any) -> str:
        """`str(value)` as a string literal (for DDL, where parameters cannot go)."""

    # -- types and parameters ----------------------------------------------------------------

    def type_family(self, data_type: str) -> str:
        """The family (dcconnectors.types) of a column type as this engine reports it."""
        return self.type_families.get(base_type(data_type), OTHER)

    @abstractmethod
    def params(self) -> Params:
        """A binder for one statement's parameters."""

    @abstractmethod
    def cast(self, expr: str, sql_type: str) -> str:
        """`expr` converted to `sql_type` (one of SQL_TYPES)."""

    # -- predicates and aggregates -----------------------------------------------------------

    @abstractmethod
    def count_if(self, predicate: str) -> str:
        """The number of rows where `predicate` holds (an aggregate)."""

    @abstractmethod
    def matches(self, expr: str, pattern: str) -> str:
        """`expr` (text) contains a match of the regex `pattern` (an SQL expression)."""

    def not_matches(self, expr: str, pattern: str) -> str:
        return f"NOT ({self.matches(expr, pattern)})"

    @abstractmethod
    def dotall(self, pattern: str) -> str:
        """A regex (Python text, not SQL) in which `.` also matches a newline on this engine."""

    @abstractmethod
    def regex_group(self, expr: str, pattern: str) -> str:
        """The text of the first group of regex `pattern` (an SQL expression) in `expr`."""

    @abstractmethod
    def not_in(self, expr: str, values: Sequence[Any], params: Params, sql_type: str) -> str:
        """`expr` is none of `values` (bound as `sql_type`); `expr` is known not NULL."""

    @abstractmethod
    def percentile(self, expr: str, fraction: float) -> str:
        """The interpolated (continuous) percentile of `expr` at `fraction` (an aggregate)."""

    @abstractmethod
    def percentiles(self, expr: str, fractions: Sequence[float]) -> str:
        """The interpolated percentiles of `expr` at `fractions`, as one array."""

    @abstractmethod
    def median(self, expr: str) -> str:
        """The exact median of `expr` as a double (an aggregate)."""

    @abstractmethod
    def binary_order(self, expr: str) -> str:
        """`expr` (text) compared byte by byte, whatever the column's collation (for GROUP BY
        and ORDER BY)."""

    # -- dates and times ---------------------------------------------------------------------

    @abstractmethod
    def date_trunc(self, unit: str, expr: str) -> str:
        """Timestamp `expr` truncated to 'day' | 'week' | 'month' | 'year'."""

    @abstractmethod
    def local_time(self, instant: str, zone: str) -> str:
        """The wall-clock time of an instant in time zone `zone` (an SQL expression)."""

    @abstractmethod
    def utc_time(self, local: str, zone: str) -> str:
        """The instant of wall-clock time `local` in time zone `zone` (an SQL expression)."""

    @abstractmethod
    def date_text(self, expr: str, unit: str) -> str:
        """A date or timestamp as text to the 'year' ('2024') or 'month' ('2024-05')."""

    # -- reading less ------------------------------------------------------------------------

    @abstractmethod
    def sample(self, table: str, percentage: float, seed: int, params: Params) -> str:
        """`table` read as a repeatable random sample of about `percentage` % of its rows."""

    def bucket_series(
        self, params: Params, starts: Sequence[Any], ends: Sequence[Any]
    ) -> str | None:
        """A FROM item of rows (bucket, next) from the two lists of dates, for reading each
        date bucket by an index range; None where the engine has no cheap way to do it."""
        return None

    # -- masking (governance) ----------------------------------------------------------------

    @abstractmethod
    def salted_hash(self, text: str, algorithm: str, secret: tuple[str, str]) -> str:
        """Hex digest (`algorithm` 'sha256' | 'sha512') of a salt and the UTF-8 bytes of
        `text`; the salt is hex text the engine holds under (scope, key), never inlined."""

    @abstractmethod
    def is_member(self, roles: Sequence[str]) -> str:
        """The reading user belongs to one of `roles` (names, quoted here)."""
