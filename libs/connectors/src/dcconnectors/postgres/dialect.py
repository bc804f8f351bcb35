"""PostgreSQL SQL: double-quoted identifiers, positional `$n` parameters with a cast where the
server cannot infer their type, type names as format_type() reports them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from dcconnectors.dialect import Dialect, Params
from dcconnectors.types import DATE, NUMERIC, TEXT, TIMESTAMP, TIMESTAMPTZ

TYPES = {
    "text": "text",
    "integer": "int",
    "bigint": "int8",
    "real": "float4",
    "double": "float8",
    "numeric": "numeric",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
}
_NUMERIC = (
    "smallint", "integer", "bigint", "int", "int2", "int4", "int8", "numeric", "decimal", "real",
    "double precision", "float", "float4", "float8", "money", "serial", "bigserial", "smallserial",
)  # fmt: skip
_TEXT = ("text", "character varying", "varchar", "character", "char", "bpchar", "citext", "name")
FAMILIES = {
    **dict.fromkeys(_NUMERIC, NUMERIC),
    **dict.fromkeys(_TEXT, TEXT),
    "date": DATE,
    # A bare "timestamp" is without time zone on PostgreSQL.
    "timestamp": TIMESTAMP,
    "timestamp without time zone": TIMESTAMP,
    "timestamptz": TIMESTAMPTZ,
    "timestamp with time zone": TIMESTAMPTZ,
}


def _type(sql_type: str) -> str:
    array = sql_type.endswith("[]")
    return TYPES[sql_type.removesuffix("[]")] + ("[]" if array else "")


class PostgresParams(Params):
    """$1, $2... in order; numbers for numeric parameters go as Decimal (exact comparisons
    with numeric columns)."""

    def __call__(self, value: Any, sql_type: str = "", *, name: str = "") -> str:
        if sql_type == "numeric":
            value = Decimal(str(value))
        elif sql_type == "numeric[]":
            value = [Decimal(str(v)) for v in value]
        self.values.append(value)
        ref = f"${len(self.values)}"
        return f"{ref}::{_type(sql_type)}" if sql_type else ref

    @property
    def bound(self) -> list[Any]:
        return list(self.values)


class PostgresDialect(Dialect):
    name = "postgres"
    title = "PostgreSQL"
    path_parts = ("schema", "name")
    max_identifier_bytes = 63
    masking_style = "view"
    type_families = FAMILIES

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def literal(self, value: Any) -> str:
        text = str(value)
        quoted = "'" + text.replace("'", "''") + "'"
        # E'' makes the backslash an escape whatever standard_conforming_strings says.
        return "E" + quoted.replace("\\", "\\\\") if "\\" in text else quoted

    def params(self) -> PostgresParams:
        return PostgresParams()

    def cast(self, expr: str, sql_type: str) -> str:
        return f"({expr})::{_type(sql_type)}"

    def count_if(self, predicate: str) -> str:
        return f"count(*) FILTER (WHERE {predicate})"

    def matches(self, expr: str, pattern: str) -> str:
        return f"{expr} ~ {pattern}"

    def not_matches(self, expr: str, pattern: str) -> str:
        return f"{expr} !~ {pattern}"

    def dotall(self, pattern: str) -> str:
        return pattern  # `.` matches a newline in PostgreSQL's regexes by default

    def regex_group(self, expr: str, pattern: str) -> str:
        return f"substring({expr} from {pattern})"

    def not_in(self, expr: str, values: Sequence[Any], params: Params, sql_type: str) -> str:
        # One array parameter, whatever the number of values.
        return f"NOT ({expr} = ANY({params(list(values), sql_type + '[]')}))"

    def percentile(self, expr: str, fraction: float) -> str:
        return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {expr})"

    def percentiles(self, expr: str, fractions: Sequence[float]) -> str:
        listed = ", ".join(str(f) for f in fractions)
        return f"percentile_cont(ARRAY[{listed}]) WITHIN GROUP (ORDER BY {expr})"

    def median(self, expr: str) -> str:
        # percentile_disc at 0.5 and just above it picks the lower and upper middle values (the
        # same one when the count is odd: ceil(p·n) moves only when p·n crosses an integer, and
        # 1e-13·n stays below 0.5 for any n under 5·10^12). Their mean is the median, computed
        # in the column's own type: exact for numeric, where percentile_cont would first convert
        # every value to float8 (slower, and inexact beyond 15 digits). Both calls are one
        # aggregate to PostgreSQL.
        middles = f"percentile_disc(ARRAY[0.5, 0.5000000000001]) WITHIN GROUP (ORDER BY {expr})"
        return f"(({middles})[1] / 2.0 + ({middles})[2] / 2.0)::float8"

    def binary_order(self, expr: str) -> str:
        return f'{expr} COLLATE "C"'

    def date_trunc(self, unit: str, expr: str) -> str:
        return f"date_trunc('{unit}', {expr})"

    def local_time(self, instant: str, zone: str) -> str:
        return f"({instant} AT TIME ZONE {zone})"

    def utc_time(self, local: str, zone: str) -> str:
        return f"({local} AT TIME ZONE {zone})"

    def date_text(self, expr: str, unit: str) -> str:
        return f"to_char({expr}, {self.literal('YYYY-MM' if unit == 'month' else 'YYYY')})"

    def sample(self, table: str, percentage: float, seed: int, params: Params) -> str:
        rate, repeat = params(percentage, "real"), params(float(seed), "double")
        return f"{table} TABLESAMPLE BERNOULLI ({rate}) REPEATABLE ({repeat})"

    def bucket_series(
        self, params: Params, starts: Sequence[Any], ends: Sequence[Any]
    ) -> str | None:
        return f"unnest({params(starts, 'date[]')}, {params(ends, 'date[]')}) AS b(bucket, next)"

    def salted_hash(self, text: str, algorithm: str, secret: tuple[str, str]) -> str:
        # The salt is a (hex) custom setting `scope.key` of the reading session; unset, the
        # query fails rather than hash unsalted.
        salt = f"decode(current_setting({self.literal('.'.join(secret))}), 'hex')"
        return f"encode({algorithm}({salt} || convert_to({text}, 'UTF8')), 'hex')"

    def is_member(self, roles: Sequence[str]) -> str:
        # Through pg_roles so a role missing from this server means "not a member" rather than
        # an error on every read; pg_has_role(…, oid, …) follows role inheritance.
        listed = ", ".join(self.literal(r) for r in roles)
        return (
            "EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname IN "
            f"({listed}) AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))"
        )
