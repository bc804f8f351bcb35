"""Masking rules (capsule spec §5.2.2): what a valid rule on a column is, and which of a row's
columns a caller sees masked. The methods themselves are in domain.masking."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dckit.errors import InvalidArgument
from governance_service.domain import masking, roles

MAX_NAME = 200
MAX_DESCRIPTION = 2_000


@dataclass(frozen=True)
class MaskingRuleSpec:
    method: str
    config: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    exempt_roles: tuple[str, ...] = ()
    preserve_null: bool = True
    enabled: bool = True
    description: str = ""

    def snapshot(self) -> dict[str, Any]:
        """JSON-friendly values, for audit diffs and storage."""
        out = dataclasses.asdict(self)
        out["config"] = dict(self.config)
        out["exempt_roles"] = list(self.exempt_roles)
        return out

    def masking(self) -> masking.MaskingSpec:
        return masking.MaskingSpec(self.method, self.config, self.exempt_roles, self.preserve_null)


FIELDS = tuple(f.name for f in dataclasses.fields(MaskingRuleSpec))


def exempt_roles(values: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for raw in values:
        role = raw.strip().lower()
        if role not in roles.ROLES:
            raise InvalidArgument(
                f"exempt_roles: unknown role {raw!r}; one of {', '.join(roles.ROLES)}"
            )
        if role not in out:
            out.append(role)
    return tuple(out)


def check(spec: MaskingRuleSpec, column: str) -> MaskingRuleSpec:
    """The normalized spec (config defaults filled in, name derived when empty), or
    InvalidArgument naming the bad field."""
    method = masking.check_method(spec.method)
    config = masking.validate_config(method, spec.config)
    name = spec.name.strip() or f"{column} {method}"
    if len(name) > MAX_NAME:
        raise InvalidArgument(f"name: at most {MAX_NAME} characters")
    description = spec.description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidArgument(f"description: at most {MAX_DESCRIPTION} characters")
    return MaskingRuleSpec(
        method=method,
        config=config,
        name=name,
        exempt_roles=exempt_roles(spec.exempt_roles),
        preserve_null=spec.preserve_null,
        enabled=spec.enabled,
        description=description,
    )


def merge(
    current: MaskingRuleSpec, fields: Iterable[str], update: MaskingRuleSpec
) -> MaskingRuleSpec:
    """`current` with the named fields (some of FIELDS) taken from `update` (unchecked). A new
    method without a new config starts from that method's defaults: the old method's keys
    would not fit it."""
    values = {f: getattr(update, f) for f in fields}
    if "method" in values and "config" not in values and values["method"] != current.method:
        values["config"] = {}
    return dataclasses.replace(current, **values)


@dataclass(frozen=True)
class MaskingRule:
    """A stored rule on one column: its spec's fields, flat, plus where and who."""

    id: int
    object_urn: str
    object_ref: str
    source_name: str
    column: str
    column_urn: str
    name: str
    method: str
    config: Mapping[str, Any]
    exempt_roles: tuple[str, ...]
    preserve_null: bool
    enabled: bool
    description: str
    created_by: str
    updated_by: str
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def spec(self) -> MaskingRuleSpec:
        return MaskingRuleSpec(**{name: getattr(self, name) for name in FIELDS})

    def snapshot(self) -> dict[str, Any]:
        """What the audit trail compares: the target and the spec."""
        return {"object": self.object_ref, "column": self.column, **self.spec.snapshot()}


def sql_notes(rules: Mapping[str, MaskingRuleSpec]) -> list[str]:
    """One note per column whose method needs the masking key, which SQL at the source never
    sees: the SQL redacts such a column instead."""
    notes = []
    for column, rule in rules.items():
        keyed = rule.method in masking.KEYED
        if keyed or (rule.method == "substitution" and rule.config.get("values")):
            notes.append(
                f"{column}: {rule.method} needs the masking key; the SQL redacts it instead "
                "(Data Compass applies the method itself)"
            )
    return notes


def mask_columns(
    masker: masking.Masker,
    rules: Mapping[str, MaskingRuleSpec],
    role: str,
    columns: Sequence[tuple[str, Sequence[Any]]],
) -> tuple[list[tuple[str, list[Any]]], list[str]]:
    """Each column's values masked by its rule (looked up case-insensitively; `rules` keyed by
    lower-case column name) unless `role` is exempt; columns without a rule pass unchanged.
    Returns the columns in the order given and the names of those masked."""
    out: list[tuple[str, list[Any]]] = []
    masked: list[str] = []
    for name, values in columns:
        rule = rules.get(name.lower())
        if rule is None or masking.is_exempt(rule.exempt_roles, role):
            out.append((name, list(values)))
            continue
        out.append((name, [_masked(masker, rule, v) for v in values]))
        masked.append(name)
    return out, masked


def _masked(masker: masking.Masker, rule: MaskingRuleSpec, value: Any) -> Any:
    """Fails closed: a value the method cannot take (text under noise_addition, say) shows as
    "****" rather than failing the whole call or leaking."""
    try:
        return masker.mask(rule.method, rule.config, value, preserve_null=rule.preserve_null)
    except InvalidArgument:
        return masking.FIXED_MASK
