"""Databricks SQL (Spark SQL): back-quoted identifiers, native named parameters (:name),
three-level names (catalog.schema.table), type names as Unity Catalog's full_data_type reports
them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dcconnectors.dialect import Dialect, Params
from dcconnectors.types import DATE, NUMERIC, TEXT, TIMESTAMP, TIMESTAMPTZ

TYPES = {
    "text": "STRING",
    "integer": "INT",
    "bigint": "BIGINT",
    "real": "FLOAT",
    "double": "DOUBLE",
    "numeric": "DECIMAL(38, 9)",
    "date": "DATE",
    # TIMESTAMP is an instant shown in the session time zone (UTC on SQL warehouses).
    "timestamp": "TIMESTAMP",
    "timestamptz": "TIMESTAMP",
}
_NUMERIC = (
    "tinyint", "byte", "smallint", "short", "int", "integer", "bigint", "long", "float", "real",
    "double", "decimal", "dec", "numeric",
)  # fmt: skip
FAMILIES = {
    **dict.fromkeys(_NUMERIC, NUMERIC),
    **dict.fromkeys(("string", "varchar", "char"), TEXT),
    "date": DATE,
    "timestamp_ntz": TIMESTAMP,
    # TIMESTAMP (= TIMESTAMP_LTZ) is an instant.
    "timestamp": TIMESTAMPTZ,
    "timestamp_ltz": TIMESTAMPTZ,
}
# Parameters the SQL casts explicitly (the connector infers the others from the Python value).
_TYPED_PARAMS = {"date": "DATE", "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMP"}


class DatabricksParams(Params):
    """:name, or :p1, :p2... for unnamed ones."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def __call__(self, value: Any, sql_type: str = "", *, name: str = "") -> str:
        self.values.append(value)
        self.names.append(name or f"p{len(self.values)}")
        ref = f":{self.names[-1]}"
        cast = _TYPED_PARAMS.get(sql_type)
        return f"CAST({ref} AS {cast})" if cast else ref

    @property
    def bound(self) -> dict[str, Any]:
        return dict(zip(self.names, self.values, strict=True))


class DatabricksDialect(Dialect):
    name = "databricks"
    title = "Databricks"
    path_parts = ("catalog", "schema", "name")
    max_identifier_bytes = 255
    masking_style = "column_mask"
    type_families = FAMILIES

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def literal(self, value: Any) -> str:
        # Spark SQL string literals process backslash escapes: escape the escape first.
        text = str(value).replace("\\", "\\\\").replace("'", "\\'")
        return "'" + text.replace("\n", "\\n").replace("\r", "\\r") + "'"

    def params(self) -> DatabricksParams:
        return DatabricksParams()

    def cast(self, expr: str, sql_type: str) -> str:
        return f"CAST({expr} AS {TYPES[sql_type]})"

    def count_if(self, predicate: str) -> str:
        return f"count_if({predicate})"

    def matches(self, expr: str, pattern: str) -> str:
        return f"{expr} RLIKE {pattern}"

    def dotall(self, pattern: str) -> str:
        return "(?s)" + pattern  # Java regexes: `.` stops at a newline unless DOTALL

    def regex_group(self, expr: str, pattern: str) -> str:
        return f"regexp_extract({expr}, {pattern}, 1)"

    def not_in(self, expr: str, values: Sequence[Any], params: Params, sql_type: str) -> str:
        return f"{expr} NOT IN ({', '.join(params(v, sql_type) for v in values)})"

    def percentile(self, expr: str, fraction: float) -> str:
        return f"percentile({expr}, {fraction})"

    def percentiles(self, expr: str, fractions: Sequence[float]) -> str:
        # Spark's percentile is exact and interpolates like percentile_cont.
        return f"percentile({expr}, array({', '.join(str(f) for f in fractions)}))"

    def median(self, expr: str) -> str:
        return f"percentile({expr}, 0.5)"

    def binary_order(self, expr: str) -> str:
        return expr  # strings compare by their UTF-8 bytes unless a collation says otherwise

    def date_trunc(self, unit: str, expr: str) -> str:
        return f"date_trunc('{unit.upper()}', {expr})"

    def local_time(self, instant: str, zone: str) -> str:
        return f"from_utc_timestamp({instant}, {zone})"

    def utc_time(self, local: str, zone: str) -> str:
        return f"to_utc_timestamp({local}, {zone})"

    def date_text(self, expr: str, unit: str) -> str:
        return f"date_format({expr}, {self.literal('yyyy-MM' if unit == 'month' else 'yyyy')})"

    def sample(self, table: str, percentage: float, seed: int, params: Params) -> str:
        # Spark's grammar takes only number literals here; both are numbers we format.
        return f"{table} TABLESAMPLE ({float(percentage):.6f} PERCENT) REPEATABLE ({int(seed)})"

    def salted_hash(self, text: str, algorithm: str, secret: tuple[str, str]) -> str:
        # The salt is the Databricks secret scope/key; only the reading user's access to the
        # secret lets the function run.
        scope, key = (self.literal(s) for s in secret)
        salt = f"unhex(secret({scope}, {key}))"
        return f"sha2(concat({salt}, encode({text}, 'UTF-8')), {algorithm.removeprefix('sha')})"

    def is_member(self, roles: Sequence[str]) -> str:
        return " OR ".join(f"is_account_group_member({self.literal(r)})" for r in roles)
