"""Metadata completeness of a capsule (spec Appendix B, Q2): which metadata it has, scored
0-100 with configurable weights, the missing items named. The facts are kept by events (the
catalog's own and governance's and quality's); scoring them is pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dckit.errors import InvalidArgument

# The measured items, in the order they are shown.
ITEMS = (
    "description",
    "column_definitions",
    "business_terms",
    "owner",
    "classification",
    "quality_rules",
    "policies",
)
# Items that will count once the product holds them: listed, never weighed.
NOT_YET_AVAILABLE = ("contract",)
DEFAULT_WEIGHTS: dict[str, float] = {
    "description": 20,
    "column_definitions": 20,
    "business_terms": 10,
    "owner": 15,
    "classification": 10,
    "quality_rules": 15,
    "policies": 10,
}


@dataclass(frozen=True)
class Facts:
    """What a capsule has. Sets (owners, rules, ...) hold keys, so applying an event twice or
    out of order leaves the same facts."""

    has_description: bool = False
    columns: int = 0
    columns_defined: int = 0
    term_links: int = 0
    owners: frozenset[str] = field(default_factory=frozenset)  # "<role>:<user>"
    classified: frozenset[str] = field(default_factory=frozenset)  # "" = the object, else columns
    policies: frozenset[str] = field(default_factory=frozenset)  # policy ids
    rules: frozenset[str] = field(default_factory=frozenset)  # enabled quality rule ids


@dataclass(frozen=True)
class Item:
    name: str
    weight: float
    achieved: float  # 0..1
    available: bool = True


@dataclass(frozen=True)
class Score:
    score: float  # 0-100
    missing: tuple[str, ...]
    items: tuple[Item, ...]


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights per item (missing items weigh 0); unknown names, negative weights or all zero
    are refused."""
    unknown = sorted(set(weights) - set(ITEMS))
    if unknown:
        raise InvalidArgument(
            f"completeness weights: unknown item(s) {unknown}; known: {', '.join(ITEMS)}"
        )
    if any(w < 0 for w in weights.values()):
        raise InvalidArgument("completeness weights must not be negative")
    if not any(weights.values()):
        raise InvalidArgument("completeness weights: at least one must be above zero")
    return {name: float(weights.get(name, 0)) for name in ITEMS}


def achieved(facts: Facts) -> dict[str, float]:
    columns = facts.columns_defined / facts.columns if facts.columns else 1.0
    return {
        "description": float(facts.has_description),
        "column_definitions": min(1.0, columns),
        "business_terms": float(facts.term_links > 0),
        "owner": float(bool(facts.owners)),
        "classification": float(bool(facts.classified)),
        "quality_rules": float(bool(facts.rules)),
        "policies": float(bool(facts.policies)),
    }


def score(facts: Facts, weights: Mapping[str, float]) -> Score:
    got = achieved(facts)
    total = sum(weights[name] for name in ITEMS)
    value = sum(weights[name] * got[name] for name in ITEMS) / total * 100
    items = [Item(name, weights[name], got[name]) for name in ITEMS]
    items += [Item(name, 0.0, 0.0, available=False) for name in NOT_YET_AVAILABLE]
    missing = tuple(name for name in ITEMS if weights[name] > 0 and got[name] < 1)
    return Score(round(value, 2), missing, tuple(items))
