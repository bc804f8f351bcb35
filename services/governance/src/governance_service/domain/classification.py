"""Classification levels, compliance labels and the effective classification of an object."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dckit.errors import InvalidArgument

# Ordered from least to most sensitive: the index is the rank.
LEVELS = ("public", "internal", "confidential", "restricted", "secret")
COMPLIANCE = ("gdpr", "hipaa", "pci_dss", "sox", "ccpa")
SOURCES = ("manual", "rule", "inherited")


def rank(level: str) -> int:
    return LEVELS.index(level)


def check_level(level: str) -> str:
    value = level.strip().lower()
    if value not in LEVELS:
        raise InvalidArgument(f"unknown level {level!r}: expected one of {', '.join(LEVELS)}")
    return value


def check_compliance(labels: Iterable[str]) -> list[str]:
    """Normalized, deduplicated, in the canonical order."""
    wanted = {label.strip().lower() for label in labels if label.strip()}
    unknown = sorted(wanted - set(COMPLIANCE))
    if unknown:
        raise InvalidArgument(
            f"unknown compliance label(s) {', '.join(unknown)}: expected {', '.join(COMPLIANCE)}"
        )
    return [c for c in COMPLIANCE if c in wanted]


@dataclass(frozen=True)
class Classification:
    """A stored classification of an object (column == "") or of one of its columns."""

    object_urn: str
    object_ref: str
    source_name: str
    column: str
    level: str
    compliance: tuple[str, ...]
    source: str  # manual | rule
    classified_by: str
    classified_at: datetime | None = None
    column_urn: str = ""
    rule_name: str = ""
    rule_id: int | None = None
    id: int = 0

    @property
    def label(self) -> Label:
        return Label(
            self.column,
            self.level,
            self.compliance,
            self.source,
            self.rule_name,
            self.classified_by,
        )

    def snapshot(self) -> dict[str, Any]:
        """What the audit trail compares."""
        return {
            "level": self.level,
            "compliance": list(self.compliance),
            "source": self.source,
            "rule_name": self.rule_name,
        }


@dataclass(frozen=True)
class Label:
    """One classification: of an object (column == "") or of one of its columns."""

    column: str
    level: str
    compliance: tuple[str, ...]
    source: str
    rule_name: str = ""
    classified_by: str = ""


def effective(own: Label | None, columns: Sequence[Label]) -> Label | None:
    """An object's own classification, else the highest of its columns' (source "inherited")
    with every compliance label any column carries."""
    if own is not None:
        return own
    if not columns:
        return None
    top = max(columns, key=lambda c: rank(c.level))
    labels = check_compliance(label for c in columns for label in c.compliance)
    return Label("", top.level, tuple(labels), "inherited", classified_by=top.classified_by)
