"""Masking as SQL the source enforces itself, written once for every source through its
connector's dialect (dcconnectors): a masked view where the dialect's masking style is "view"
(PostgreSQL), column masks where it is "column_mask" (Databricks). Pure string building. Every
identifier is quoted and every value (role, substitute, redaction char) is an escaped literal of
the dialect, so no name or value can end the statement.

Methods that need the masking key (tokenization, pseudonymization, format-preserving encryption,
noise, substitution from a list) cannot run in plain SQL: their columns come out redacted, with
a comment saying the governance service applies the real method. The hashing salt is never
inlined: the dialect reads it from the engine (PostgreSQL: the `datacompass.masking_salt`
setting, and an unset salt fails the query rather than hashing unsalted; Databricks: the secret
`datacompass/masking_salt`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dcconnectors import registry
from dcconnectors.dialect import Dialect
from dcconnectors.types import NUMERIC, TEMPORAL, TEXT
from dckit.errors import InvalidArgument
from governance_service.domain.masking import (
    FIXED_MASK,
    KEYED,
    MaskingSpec,
    check_method,
    validate_config,
)

SALT = ("datacompass", "masking_salt")  # scope and key of the salt the engine holds
_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_ ,()<>:]*")
_ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?$"


def dialects() -> tuple[str, ...]:
    """The source types whose dialect can mask at the source."""
    return tuple(n for n in registry.names() if registry.dialect(n).masking_style)


def _no_nul(text: str, what: str) -> str:
    if "\x00" in text:
        raise InvalidArgument(f"{what}: must not contain NUL characters")
    return text


# ---------------------------------------------------------------------------------------------
# Expressions every dialect spells the same (string functions with the same names and meaning)


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


class _Masker:
    """Masked values as SQL expressions in one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect

    def ident(self, name: str) -> str:
        return self.d.quote(_no_nul(name, "identifier"))

    def literal(self, value: Any) -> str:
        return self.d.literal(_no_nul(str(value), "literal"))

    def expr(self, method: str, cfg: Mapping[str, Any], col: str, family: str) -> str:
        """The masked value of column `col` as text."""
        lit, t = self.literal, self.d.cast(col, "text")
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
            digest = self.d.salted_hash(t, cfg["algorithm"], SALT)
            return f"left({digest}, {cfg['truncate']})" if cfg["truncate"] else digest
        if method == "generalization":
            return self.generalize(cfg, col, t, family)
        raise AssertionError(method)

    def email_parts(self, t: str) -> tuple[str, str, str]:
        """(is-email condition, local part, domain) of text `t`, as masking.split_email."""
        d = self.d
        return (
            d.matches(t, self.literal(d.dotall("^.+@[^@]+$"))),
            d.regex_group(t, self.literal(d.dotall("^(.*)@[^@]*$"))),
            d.regex_group(t, self.literal("@([^@]*)$")),
        )

    def generalize(self, cfg: Mapping[str, Any], col: str, t: str, family: str) -> str:
        if family in TEMPORAL:
            return self.d.date_text(col, cfg["date_precision"])
        if family == NUMERIC:
            width = cfg["bucket_width"]
            low = f"(floor({self.d.cast(col, 'numeric')} / {width}) * {width})"
            high = f"{low} + {width - 1}"
            return f"({self.d.cast(low, 'text')} || '-' || {self.d.cast(high, 'text')})"
        keep = f"least({cfg['prefix_length']}, greatest(length({t}) - 1, 0))"
        date_part = f"substr({t}, 1, {7 if cfg['date_precision'] == 'month' else 4})"
        iso = self.d.matches(t, self.literal(self.d.dotall(_ISO_DATE)))
        return f"CASE WHEN {iso} THEN {date_part} ELSE substr({t}, 1, {keep}) || '*' END"


# ---------------------------------------------------------------------------------------------
# Statements

Checked = dict[str, tuple[str, dict[str, Any], MaskingSpec]]


def _checked_rules(columns: Sequence[tuple[str, str]], rules: Mapping[str, MaskingSpec]) -> Checked:
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


def _masked_view(
    m: _Masker, table: Sequence[str], columns: Sequence[tuple[str, str]], rules: Checked
) -> str:
    """One view `<table>_masked` beside the table, with every column (masked ones as text;
    exempt roles, directly or by inheritance, read them clear)."""
    *path, name = table
    view = f"{name}_masked"
    if len(view.encode()) > m.d.max_identifier_bytes:
        raise InvalidArgument(
            f"table: {view!r} is longer than {m.d.title}'s {m.d.max_identifier_bytes} bytes"
        )
    select = []
    for column, sql_type in columns:
        col = m.ident(column)
        if column not in rules:
            select.append(col)
            continue
        method, cfg, spec = rules[column]
        masked = _null_wrap(
            col,
            m.expr(method, cfg, col, m.d.type_family(sql_type)),
            spec.preserve_null,
            m.literal(FIXED_MASK),
        )
        if spec.exempt_roles:
            exempt = m.d.is_member([_no_nul(r.strip(), "literal") for r in spec.exempt_roles])
            masked = f"CASE WHEN {exempt} THEN {m.d.cast(col, 'text')} ELSE {masked} END"
        select.append(f"{masked} AS {col}")
    body = ",\n  ".join(select)
    target = ".".join(m.ident(p) for p in (*path, view))
    source = ".".join(m.ident(p) for p in table)
    return f"CREATE OR REPLACE VIEW {target} AS\nSELECT\n  {body}\nFROM {source};\n"


def _column_masks(
    m: _Masker, table: Sequence[str], columns: Sequence[tuple[str, str]], rules: Checked
) -> str:
    """Per masked column, a mask function beside the table and `SET MASK` (exempt: members
    of a role). A column mask returns the column's own type: text masks only fit text
    columns; numbers and dates generalize in their type, other methods null them."""
    *path, name = table
    types = dict(columns)
    target = ".".join(m.ident(p) for p in table)
    out = []
    for column, (method, cfg, spec) in rules.items():
        sql_type = types[column].strip()
        if not _TYPE.fullmatch(sql_type):
            raise InvalidArgument(f"columns: bad type {sql_type!r} for column {column!r}")
        family = m.d.type_family(sql_type)
        function = ".".join(m.ident(p) for p in (*path, f"mask_{name}_{column}"))
        if family == TEXT:
            expr = _null_wrap("v", m.expr(method, cfg, "v", family), spec.preserve_null, "'****'")
        elif method == "generalization" and family == NUMERIC:
            width = cfg["bucket_width"]
            expr = f"CAST(floor(v / {width}) * {width} AS {sql_type})"
        elif method == "generalization" and family in TEMPORAL:
            truncated = m.d.date_trunc(cfg["date_precision"], "v")
            expr = f"CAST({truncated} AS {sql_type})"
        else:
            expr = (
                f"/* {method} yields text: a {family} column is nulled */ CAST(NULL AS {sql_type})"
            )
        if spec.exempt_roles:
            members = m.d.is_member([_no_nul(r.strip(), "literal") for r in spec.exempt_roles])
            expr = f"CASE WHEN {members} THEN v ELSE {expr} END"
        out.append(
            f"CREATE OR REPLACE FUNCTION {function}(v {sql_type})\n"
            f"RETURNS {sql_type}\nRETURN {expr};\n"
            f"ALTER TABLE {target} ALTER COLUMN {m.ident(column)} SET MASK {function};\n"
        )
    return "\n".join(out)


_STATEMENTS: dict[str, Callable[[_Masker, Sequence[str], Sequence[tuple[str, str]], Checked], str]]
_STATEMENTS = {"view": _masked_view, "column_mask": _column_masks}


def preview(
    dialect: str,
    table: Sequence[str],
    columns: Sequence[tuple[str, str]],
    rules: Mapping[str, MaskingSpec],
) -> str:
    """The SQL that masks `table` (its path on the source, Dialect.path) at a source of type
    `dialect`. `columns` is every (name, type) of the table, in order; `rules` maps a column
    name to its masking. How it masks is the dialect's masking style: a masked view
    (`<table>_masked`) or a mask function and `SET MASK` per rule."""
    d = registry.dialect(dialect) if dialect in registry.names() else None
    if d is None or d.masking_style is None:
        raise InvalidArgument(f"dialect: unknown {dialect!r}; one of {', '.join(dialects())}")
    checked = _checked_rules(columns, rules)
    if len(table) != len(d.path_parts):
        raise InvalidArgument(f"table: {d.title} tables are [{', '.join(d.path_parts)}]")
    return _STATEMENTS[d.masking_style](_Masker(d), table, columns, checked)
