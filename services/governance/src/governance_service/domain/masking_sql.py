"""Masking as SQL the source enforces itself: a masked view on PostgreSQL, column masks on
Databricks. Pure string building. Every identifier is quoted and every value (role, substitute,
redaction char) is an escaped literal of the dialect, so no name or value can end the statement.

Methods that need the masking key (tokenization, pseudonymization, format-preserving encryption,
noise, substitution from a list) cannot run in plain SQL: their columns come out redacted, with
a comment saying the governance service applies the real method. The hashing salt is never
inlined: PostgreSQL reads it (hex) from the `datacompass.masking_salt` setting (an unset salt
fails the query rather than hashing unsalted), Databricks from the secret
`datacompass/masking_salt`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dckit.errors import InvalidArgument
from governance_service.domain.masking import (
    FIXED_MASK,
    KEYED,
    MaskingSpec,
    check_method,
    validate_config,
)

DIALECTS = ("postgresql", "databricks")
SALT_SETTING = "datacompass.masking_salt"
SALT_SECRET = ("datacompass", "masking_salt")  # Databricks secret scope and key
PG_MAX_IDENT = 63
_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_ ,()<>:]*")
_ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?$"

_NUMBER_TYPES = {
    "smallint", "integer", "bigint", "int", "int2", "int4", "int8", "numeric", "decimal",
    "real", "double precision", "float4", "float8", "float", "double", "tinyint", "long",
    "short", "byte", "dec", "serial", "bigserial", "smallserial",
}  # fmt: skip
_DATE_TYPES = {"date"}
_TIMESTAMP_TYPES = {
    "timestamp", "timestamptz", "timestamp with time zone", "timestamp without time zone",
    "timestamp_ntz", "timestamp_ltz",
}  # fmt: skip
_TEXT_TYPES = {
    "text", "varchar", "character varying", "char", "character", "bpchar", "string", "citext",
    "name",
}  # fmt: skip


def type_family(sql_type: str) -> str:
    """'number' | 'date' | 'timestamp' | 'text' | 'other' for a column type as the catalog
    reports it (parameters such as varchar(20) ignored)."""
    base = re.sub(r"\(.*\)", "", sql_type).strip().lower()
    base = re.sub(r"\s+", " ", base)
    for family, names in (
        ("number", _NUMBER_TYPES),
        ("date", _DATE_TYPES),
        ("timestamp", _TIMESTAMP_TYPES),
        ("text", _TEXT_TYPES),
    ):
        if base in names:
            return family
    return "other"


# ---------------------------------------------------------------------------------------------
# Quoting, one pair per dialect


def _no_nul(text: str, what: str) -> str:
    if "\x00" in text:
        raise InvalidArgument(f"{what}: must not contain NUL characters")
    return text


def _pg_ident(name: str) -> str:
    return '"' + _no_nul(name, "identifier").replace('"', '""') + '"'


def _pg_literal(value: Any) -> str:
    text = _no_nul(str(value), "literal")
    quoted = "'" + text.replace("'", "''") + "'"
    # E'' makes the backslash an escape whatever standard_conforming_strings says.
    return "E" + quoted.replace("\\", "\\\\") if "\\" in text else quoted


def _dbx_ident(name: str) -> str:
    return "`" + _no_nul(name, "identifier").replace("`", "``") + "`"


def _dbx_literal(value: Any) -> str:
    # Spark SQL string literals process backslash escapes: escape the escape first.
    text = _no_nul(str(value), "literal").replace("\\", "\\\\").replace("'", "\\'")
    return "'" + text.replace("\n", "\\n").replace("\r", "\\r") + "'"


# ---------------------------------------------------------------------------------------------
# Expressions shared by both dialects (string functions with the same names and meaning)


def _window_expr(t: str, prefix: int, suffix: int) -> tuple[str, str]:
    """SQL for masking.reveal_window: the shown prefix and suffix lengths of text `t`."""
    n = f"length({t})"
    half = f"floor({n} / 2)"
    shown_prefix = (
        f"CASE WHEN {prefix + suffix} < {n} THEN {prefix} ELSE least({prefix}, {half}) END"
    )
    shown_suffix = (
        f"CASE WHEN {prefix + suffix} < {n} THEN {suffix} "
        f"ELSE least({suffix}, {half} - least({prefix}, {half})) END"
    )
    return f"CAST({shown_prefix} AS INT)", f"CAST({shown_suffix} AS INT)"


def _partial_expr(t: str, cfg: Mapping[str, Any], lit: Callable[[Any], str]) -> str:
    p, s = _window_expr(t, cfg["preserve_prefix"], cfg["preserve_suffix"])
    if cfg["preserve_length"]:
        middle = f"repeat({lit(cfg['redaction_char'])}, length({t}) - {p} - {s})"
    else:
        middle = lit(FIXED_MASK)
    # substr from length+1 is '' (right(t, 0) would be the whole string on some engines).
    tail = f"substr({t}, length({t}) - {s} + 1)"
    return f"(substr({t}, 1, {p}) || {middle} || {tail})"


class _Dialect:
    ident: Callable[[str], str]
    literal: Callable[[Any], str]

    def text(self, col: str) -> str:
        raise NotImplementedError

    def email_parts(self, t: str) -> tuple[str, str, str]:
        """(is-email condition, local part, domain) of text `t`, as masking.split_email."""
        raise NotImplementedError

    def hash(self, t: str, algorithm: str) -> str:
        raise NotImplementedError

    def expr(self, method: str, cfg: Mapping[str, Any], col: str, family: str) -> str:
        """The masked value of column `col` as text."""
        lit, t = self.literal, self.text(col)
        if method in KEYED or (method == "substitution" and cfg["values"]):
            kind = "substitution from a list" if method == "substitution" else method
            return (
                f"/* {kind} needs the masking key: the governance service applies it;"
                f" redacted here */ {lit(FIXED_MASK)}"
            )
        if method == "redaction":
            if not cfg["full_redaction"]:
                return _partial_expr(t, cfg, lit)
            if cfg["preserve_length"]:
                return f"repeat({lit(cfg['redaction_char'])}, length({t}))"
            return lit(FIXED_MASK)
        if method == "partial_redaction":
            if not cfg["preserve_domain"]:
                return _partial_expr(t, cfg, lit)
            is_email, local, domain = self.email_parts(t)
            return (
                f"CASE WHEN {is_email} THEN {_partial_expr(local, cfg, lit)} || '@' || {domain}"
                f" ELSE {_partial_expr(t, cfg, lit)} END"
            )
        if method == "substitution":
            return lit(cfg["value"])
        if method == "hashing":
            digest = self.hash(t, cfg["algorithm"])
            return f"left({digest}, {cfg['truncate']})" if cfg["truncate"] else digest
        if method == "generalization":
            return self.generalize(cfg, col, t, family)
        raise AssertionError(method)

    def generalize(self, cfg: Mapping[str, Any], col: str, t: str, family: str) -> str:
        raise NotImplementedError

    def text_generalize(self, cfg: Mapping[str, Any], t: str, iso_match: str) -> str:
        keep = f"least({cfg['prefix_length']}, greatest(length({t}) - 1, 0))"
        date_part = f"substr({t}, 1, {7 if cfg['date_precision'] == 'month' else 4})"
        return f"CASE WHEN {iso_match} THEN {date_part} ELSE substr({t}, 1, {keep}) || '*' END"


class _Postgres(_Dialect):
    ident = staticmethod(_pg_ident)
    literal = staticmethod(_pg_literal)

    def text(self, col: str) -> str:
        return f"({col})::text"

    def email_parts(self, t: str) -> tuple[str, str, str]:
        return (
            f"{t} ~ '^.+@[^@]+$'",
            f"substring({t} from '^(.*)@[^@]*$')",
            f"substring({t} from '@([^@]*)$')",
        )

    def hash(self, t: str, algorithm: str) -> str:
        salt = f"decode(current_setting({self.literal(SALT_SETTING)}), 'hex')"
        return f"encode({algorithm}({salt} || convert_to({t}, 'UTF8')), 'hex')"

    def generalize(self, cfg: Mapping[str, Any], col: str, t: str, family: str) -> str:
        month = cfg["date_precision"] == "month"
        if family in ("date", "timestamp"):
            return f"to_char({col}, {self.literal('YYYY-MM' if month else 'YYYY')})"
        if family == "number":
            width = cfg["bucket_width"]
            low = f"(floor(({col})::numeric / {width}) * {width})"
            return f"({low}::text || '-' || ({low} + {width - 1})::text)"
        return self.text_generalize(cfg, t, f"{t} ~ {self.literal(_ISO_DATE)}")


class _Databricks(_Dialect):
    ident = staticmethod(_dbx_ident)
    literal = staticmethod(_dbx_literal)

    def text(self, col: str) -> str:
        return f"CAST({col} AS STRING)"

    def email_parts(self, t: str) -> tuple[str, str, str]:
        return (
            f"{t} RLIKE '(?s)^.+@[^@]+$'",
            f"regexp_extract({t}, '(?s)^(.*)@[^@]*$', 1)",
            f"regexp_extract({t}, '@([^@]*)$', 1)",
        )

    def hash(self, t: str, algorithm: str) -> str:
        scope, key = (self.literal(s) for s in SALT_SECRET)
        salt = f"unhex(secret({scope}, {key}))"
        return f"sha2(concat({salt}, encode({t}, 'UTF-8')), {algorithm.removeprefix('sha')})"

    def generalize(self, cfg: Mapping[str, Any], col: str, t: str, family: str) -> str:
        iso = f"{t} RLIKE {self.literal(_ISO_DATE.replace('.*', '(?s).*'))}"
        return self.text_generalize(cfg, t, iso)


# ---------------------------------------------------------------------------------------------
# Statements


def _checked_rules(
    columns: Sequence[tuple[str, str]], rules: Mapping[str, MaskingSpec]
) -> dict[str, tuple[str, dict[str, Any], MaskingSpec]]:
    names = [c[0] for c in columns]
    unknown = [r for r in rules if r not in names]
    if unknown:
        raise InvalidArgument(f"rules: unknown column(s) {', '.join(map(repr, unknown))}")
    out = {}
    for column, spec in rules.items():
        method = check_method(spec.method)
        cfg = validate_config(method, spec.config)
        for role in spec.exempt_roles:
            if not role.strip():
                raise InvalidArgument(f"exempt_roles: empty role for column {column!r}")
        out[column] = (method, cfg, spec)
    return out


def _null_wrap(col: str, expr: str, preserve_null: bool, null_mask: str) -> str:
    return f"CASE WHEN {col} IS NULL THEN {'NULL' if preserve_null else null_mask} ELSE {expr} END"


def _postgres(
    table: Sequence[str],
    columns: Sequence[tuple[str, str]],
    rules: dict[str, tuple[str, dict[str, Any], MaskingSpec]],
) -> str:
    if len(table) != 2:
        raise InvalidArgument("table: PostgreSQL tables are [schema, name]")
    schema, name = table
    view = f"{name}_masked"
    if len(view.encode()) > PG_MAX_IDENT:
        raise InvalidArgument(f"table: {view!r} is longer than PostgreSQL's {PG_MAX_IDENT} bytes")
    pg = _Postgres()
    select = []
    for column, sql_type in columns:
        col = _pg_ident(column)
        if column not in rules:
            select.append(col)
            continue
        method, cfg, spec = rules[column]
        masked = _null_wrap(
            col,
            pg.expr(method, cfg, col, type_family(sql_type)),
            spec.preserve_null,
            _pg_literal(FIXED_MASK),
        )
        if spec.exempt_roles:
            # Through pg_roles so a role missing from this server means "not exempt" rather than
            # an error on every read; pg_has_role(…, oid, …) follows role inheritance.
            roles = ", ".join(_pg_literal(r.strip()) for r in spec.exempt_roles)
            exempt = (
                "EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname IN "
                f"({roles}) AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))"
            )
            masked = f"CASE WHEN {exempt} THEN ({col})::text ELSE {masked} END"
        select.append(f"{masked} AS {col}")
    body = ",\n  ".join(select)
    return (
        f"CREATE OR REPLACE VIEW {_pg_ident(schema)}.{_pg_ident(view)} AS\nSELECT\n  {body}\n"
        f"FROM {_pg_ident(schema)}.{_pg_ident(name)};\n"
    )


def _databricks(
    table: Sequence[str],
    columns: Sequence[tuple[str, str]],
    rules: dict[str, tuple[str, dict[str, Any], MaskingSpec]],
) -> str:
    if len(table) != 3:
        raise InvalidArgument("table: Databricks tables are [catalog, schema, name]")
    catalog, schema, name = table
    dbx = _Databricks()
    types = dict(columns)
    target = ".".join(_dbx_ident(p) for p in table)
    out = []
    for column, (method, cfg, spec) in rules.items():
        sql_type = types[column].strip()
        if not _TYPE.fullmatch(sql_type):
            raise InvalidArgument(f"columns: bad type {sql_type!r} for column {column!r}")
        family = type_family(sql_type)
        function = ".".join(_dbx_ident(p) for p in (catalog, schema, f"mask_{name}_{column}"))
        # A column mask returns the column's own type: text masks only fit string columns.
        if family == "text":
            expr = _null_wrap("v", dbx.expr(method, cfg, "v", family), spec.preserve_null, "'****'")
        elif method == "generalization" and family == "number":
            width = cfg["bucket_width"]
            expr = f"CAST(floor(v / {width}) * {width} AS {sql_type})"
        elif method == "generalization" and family in ("date", "timestamp"):
            unit = "'MONTH'" if cfg["date_precision"] == "month" else "'YEAR'"
            expr = f"CAST(date_trunc({unit}, v) AS {sql_type})"
        else:
            expr = (
                f"/* {method} yields text: a {family} column is nulled */ CAST(NULL AS {sql_type})"
            )
        if spec.exempt_roles:
            members = " OR ".join(
                f"is_account_group_member({_dbx_literal(r.strip())})" for r in spec.exempt_roles
            )
            expr = f"CASE WHEN {members} THEN v ELSE {expr} END"
        out.append(
            f"CREATE OR REPLACE FUNCTION {function}(v {sql_type})\n"
            f"RETURNS {sql_type}\nRETURN {expr};\n"
            f"ALTER TABLE {target} ALTER COLUMN {_dbx_ident(column)} SET MASK {function};\n"
        )
    return "\n".join(out)


def preview(
    dialect: str,
    table: Sequence[str],
    columns: Sequence[tuple[str, str]],
    rules: Mapping[str, MaskingSpec],
) -> str:
    """The SQL that masks `table` at the source. `columns` is every (name, type) of the table,
    in order; `rules` maps a column name to its masking. PostgreSQL: one view
    `<schema>.<table>_masked` with every column (masked ones as text; exempt roles, directly or
    by inheritance, read them clear). Databricks: one mask function and `SET MASK` per rule
    (exempt = account group member)."""
    checked = _checked_rules(columns, rules)
    if dialect == "postgresql":
        return _postgres(table, columns, checked)
    if dialect == "databricks":
        return _databricks(table, columns, checked)
    raise InvalidArgument(f"dialect: unknown {dialect!r}; one of {', '.join(DIALECTS)}")
