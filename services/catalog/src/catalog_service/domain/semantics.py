"""What data means, below the glossary: a column's meaning (business definition, semantic type,
unit, value domain, claims on its values, examples), reusable value domains (enumerated,
range, pattern, reference table), the effective claims of a column (its domain's, overridden
by its own), and a capsule's medallion layer."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dckit.errors import InvalidArgument
from dckit.patterns import compile_pattern

DEFAULT_LAYERS = ("bronze", "silver", "gold")
MAX_DEFINITION = 10_000
MAX_SHORT = 64
MAX_VALUES = 1000
MAX_EXAMPLES = 100
MAX_TEXT = 500
_SEMANTIC_TYPE = re.compile(r"[a-z][a-z0-9_]{0,63}")

CLAIMS = ("min_value", "max_value", "allowed_values", "format_pattern")
# Update mask paths → the stored fields they change ("claims" = every claim).
COLUMN_PATHS: dict[str, tuple[str, ...]] = {
    "business_definition": ("business_definition",),
    "semantic_type": ("semantic_type",),
    "unit_of_measure": ("unit_of_measure",),
    "value_domain": ("value_domain",),
    "examples": ("examples",),
    "claims": CLAIMS,
    **{f"claims.{c}": (c,) for c in CLAIMS},
}

ENUM, RANGE, PATTERN, REFERENCE = "enum", "range", "pattern", "reference"
DOMAIN_TYPES = (ENUM, RANGE, PATTERN, REFERENCE)


# ------------------------------------------------------------ layers
def check_layer(value: str, layers: Sequence[str]) -> str | None:
    """A capsule's layer ("" clears it: None); InvalidArgument naming the configured ones."""
    layer = (value or "").strip().lower()
    if not layer:
        return None
    if layer not in layers:
        raise InvalidArgument(f"layer must be one of {', '.join(layers)}, got {value!r}")
    return layer


# ------------------------------------------------------------ column meaning
@dataclass(frozen=True)
class ColumnMeaning:
    """A column's meaning as people write it; None / empty = not said."""

    business_definition: str = ""
    semantic_type: str = ""
    unit_of_measure: str = ""
    value_domain: str = ""
    min_value: float | None = None
    max_value: float | None = None
    allowed_values: tuple[str, ...] = ()
    format_pattern: str = ""
    examples: tuple[str, ...] = ()


def column_fields(paths: Collection[str]) -> tuple[str, ...]:
    """The stored fields an update mask names; InvalidArgument for none or unknown paths."""
    if not paths:
        raise InvalidArgument(f"update_mask: name the fields to change, some of {_paths()}")
    unknown = [p for p in paths if p not in COLUMN_PATHS]
    if unknown:
        raise InvalidArgument(f"update_mask: unknown field(s) {', '.join(unknown)}; {_paths()}")
    return tuple(dict.fromkeys(f for p in paths for f in COLUMN_PATHS[p]))


def _paths() -> str:
    return ", ".join(COLUMN_PATHS)


def column_values(meaning: ColumnMeaning, only: Collection[str]) -> dict[str, Any]:
    """The stored values of the fields in `only` (value_domain stays a name: the caller
    resolves it), cleaned and checked."""
    out: dict[str, Any] = {}
    if "business_definition" in only:
        text = (meaning.business_definition or "").strip()
        if len(text) > MAX_DEFINITION:
            raise InvalidArgument(f"business_definition is limited to {MAX_DEFINITION} characters")
        out["business_definition"] = text or None
    if "semantic_type" in only:
        kind = (meaning.semantic_type or "").strip().lower()
        if kind and not _SEMANTIC_TYPE.fullmatch(kind):
            raise InvalidArgument(
                f"semantic_type {meaning.semantic_type!r}: lower-case letters, digits and _, "
                f"up to {MAX_SHORT} characters (e.g. identifier, metric, pii)"
            )
        out["semantic_type"] = kind or None
    if "unit_of_measure" in only:
        unit = (meaning.unit_of_measure or "").strip()
        if len(unit) > MAX_SHORT:
            raise InvalidArgument(f"unit_of_measure is limited to {MAX_SHORT} characters")
        out["unit_of_measure"] = unit or None
    if "value_domain" in only:
        out["value_domain"] = (meaning.value_domain or "").strip()
    for bound in ("min_value", "max_value"):
        if bound in only:
            out[bound] = _number(getattr(meaning, bound), bound)
    if "allowed_values" in only:
        values = clean_values(meaning.allowed_values, "allowed_values", MAX_VALUES)
        out["allowed_values"] = list(values) or None
    if "format_pattern" in only:
        pattern = meaning.format_pattern or ""
        if pattern:
            compile_pattern(pattern, "format_pattern")
        out["format_pattern"] = pattern or None
    if "examples" in only:
        out["examples"] = list(clean_values(meaning.examples, "examples", MAX_EXAMPLES))
    return out


def check_range(min_value: float | None, max_value: float | None, what: str) -> None:
    if min_value is not None and max_value is not None and min_value > max_value:
        raise InvalidArgument(f"{what}: min_value {min_value:g} is above max_value {max_value:g}")


def _number(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidArgument(f"{what} must be a finite number")
    return float(value)


def clean_values(values: Iterable[str], what: str, limit: int) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        text = str(value).strip()
        if text and text not in out:
            out.append(text)
    if len(out) > limit:
        raise InvalidArgument(f"{what}: at most {limit} entries")
    if any(len(v) > MAX_TEXT for v in out):
        raise InvalidArgument(f"{what}: entries are limited to {MAX_TEXT} characters")
    return tuple(out)


def domain_claims(domain: Mapping[str, Any] | None) -> dict[str, Any]:
    """The claims a value domain makes on the values of the columns using it."""
    if domain is None:
        return {}
    kind = domain["domain_type"]
    if kind == ENUM:
        return {"allowed_values": [v["code"] for v in domain["allowed_values"] or []]}
    if kind == RANGE:
        return {k: domain[k] for k in ("min_value", "max_value") if domain[k] is not None}
    if kind == PATTERN:
        return {"format_pattern": domain["pattern"]}
    return {}


def effective_claims(own: Mapping[str, Any], domain: Mapping[str, Any] | None) -> dict[str, Any]:
    """The claims that hold for a column: its domain's, each overridden by the column's own;
    `inherited` names those that come from the domain."""
    inherited = domain_claims(domain)
    out: dict[str, Any] = {}
    taken: list[str] = []
    for claim in CLAIMS:
        value = own.get(claim)
        if value is None and inherited.get(claim) not in (None, [], ""):
            value = inherited[claim]
            taken.append(claim)
        out[claim] = value
    return {**out, "inherited": taken}


# ------------------------------------------------------------ value domains
@dataclass(frozen=True)
class DomainValue:
    code: str
    label: str = ""
    description: str = ""


@dataclass(frozen=True)
class ValueDomainSpec:
    name: str = ""
    domain_type: str = ""
    description: str = ""
    values: tuple[DomainValue, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    pattern: str = ""
    pattern_description: str = ""
    reference_object: str = ""
    reference_column: str = ""
    extensible: bool = False
    owner: str = ""

    def validated(self) -> ValueDomainSpec:
        name = " ".join((self.name or "").split())
        if not name:
            raise InvalidArgument("name is required")
        if len(name) > 200 or "/" in name or name.isdigit():
            raise InvalidArgument(f"name {name!r}: up to 200 characters, no '/', not a number")
        if self.domain_type not in DOMAIN_TYPES:
            raise InvalidArgument(
                f"domain_type must be one of {', '.join(DOMAIN_TYPES)}, got {self.domain_type!r}"
            )
        kind = self.domain_type
        given = {
            ENUM: bool(self.values),
            RANGE: self.min_value is not None or self.max_value is not None,
            PATTERN: bool(self.pattern or self.pattern_description),
            REFERENCE: bool(self.reference_object or self.reference_column),
        }
        stray = [k for k, present in given.items() if present and k != kind]
        if stray:
            raise InvalidArgument(
                f"a {kind} domain takes no {' or '.join(_WHAT[k] for k in stray)}"
            )
        values: tuple[DomainValue, ...] = ()
        if kind == ENUM:
            values = _domain_values(self.values)
        if kind == RANGE:
            if not given[RANGE]:
                raise InvalidArgument("a range domain needs min_value, max_value or both")
            check_range(
                _number(self.min_value, "min_value"), _number(self.max_value, "max_value"), name
            )
        if kind == PATTERN:
            if not self.pattern:
                raise InvalidArgument("a pattern domain needs a pattern")
            compile_pattern(self.pattern, "pattern")
        if kind == REFERENCE and not (self.reference_object and self.reference_column.strip()):
            raise InvalidArgument("a reference domain needs the reference object and its column")
        description = (self.description or "").strip()
        if len(description) > MAX_DEFINITION:
            raise InvalidArgument(f"description is limited to {MAX_DEFINITION} characters")
        return ValueDomainSpec(
            name=name,
            domain_type=kind,
            description=description,
            values=values,
            min_value=self.min_value,
            max_value=self.max_value,
            pattern=self.pattern,
            pattern_description=(self.pattern_description or "").strip(),
            reference_object=self.reference_object.strip(),
            reference_column=self.reference_column.strip(),
            extensible=self.extensible,
            owner=(self.owner or "").strip(),
        )

    def row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "domain_type": self.domain_type,
            "description": self.description,
            "allowed_values": [vars(v) for v in self.values],
            "min_value": self.min_value,
            "max_value": self.max_value,
            "pattern": self.pattern or None,
            "pattern_description": self.pattern_description or None,
            "reference_column": self.reference_column or None,
            "extensible": self.extensible,
            "owner": self.owner or None,
        }


DOMAIN_FIELDS = frozenset(ValueDomainSpec.__dataclass_fields__)


def domain_spec_of(row: Mapping[str, Any]) -> ValueDomainSpec:
    """A stored value domain as the spec it was created with (the reference object by URN)."""
    return ValueDomainSpec(
        name=row["name"],
        domain_type=row["domain_type"],
        description=row["description"] or "",
        values=tuple(
            DomainValue(v["code"], v.get("label") or "", v.get("description") or "")
            for v in row["allowed_values"] or []
        ),
        min_value=row["min_value"],
        max_value=row["max_value"],
        pattern=row["pattern"] or "",
        pattern_description=row["pattern_description"] or "",
        reference_object=row["reference_object_urn"] or "",
        reference_column=row["reference_column"] or "",
        extensible=bool(row["extensible"]),
        owner=row["owner"] or "",
    )


def updated_domain(
    current: ValueDomainSpec, paths: Collection[str], new: ValueDomainSpec
) -> ValueDomainSpec:
    """`current` with the fields `paths` names taken from `new`, validated as a whole."""
    if not paths:
        raise InvalidArgument("name at least one field to change")
    unknown = sorted(set(paths) - DOMAIN_FIELDS)
    if unknown:
        raise InvalidArgument(
            f"cannot change {', '.join(unknown)}; a value domain has "
            f"{', '.join(sorted(DOMAIN_FIELDS))}"
        )
    return replace(current, **{p: getattr(new, p) for p in paths}).validated()


_WHAT = {
    ENUM: "values",
    RANGE: "min_value/max_value",
    PATTERN: "pattern",
    REFERENCE: "reference object/column",
}


def _domain_values(values: Sequence[DomainValue]) -> tuple[DomainValue, ...]:
    if not values:
        raise InvalidArgument("an enum domain needs at least one value")
    if len(values) > MAX_VALUES:
        raise InvalidArgument(f"an enum domain holds at most {MAX_VALUES} values")
    out: list[DomainValue] = []
    seen: set[str] = set()
    for value in values:
        code = (value.code or "").strip()
        if not code:
            raise InvalidArgument("every value of an enum domain needs a code")
        if code in seen:
            raise InvalidArgument(f"value code {code!r} appears twice")
        seen.add(code)
        out.append(
            DomainValue(code, (value.label or "").strip(), (value.description or "").strip())
        )
    return tuple(out)


def column_public(row: Mapping[str, Any]) -> dict[str, Any]:
    """The auditable view of a column's meaning."""
    keys = (
        "business_definition",
        "semantic_type",
        "unit_of_measure",
        "value_domain",
        *CLAIMS,
        "examples",
    )
    return {k: row.get(k) for k in keys}
