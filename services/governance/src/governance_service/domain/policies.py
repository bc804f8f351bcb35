"""Data policies (capsule spec §5.2.1): what a valid policy is and when it is due for review.
Validation reports every bad field at once, each by name."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from dckit.errors import InvalidArgument
from governance_service.domain import classification, roles

RETENTION_STARTS = ("created", "last_modified", "event_date")
DELETION_ACTIONS = ("delete", "archive", "anonymize")
MAX_DAYS = 36_500  # a hundred years: anything longer is a typo
MAX_TEXT = 100


@dataclass(frozen=True)
class PolicySpec:
    sensitivity: str = ""
    retention_days: int = 0
    retention_start: str = ""
    deletion_action: str = ""
    legal_hold: bool = False
    allowed_regions: tuple[str, ...] = ()
    restricted_regions: tuple[str, ...] = ()
    residency: str = ""
    min_role: str = ""
    allowed_roles: tuple[str, ...] = ()
    denied_roles: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    masking_required: bool = False
    encryption_required: bool = False
    compliance: tuple[str, ...] = ()
    review_cycle_days: int = 0
    last_reviewed_on: date | None = None

    def snapshot(self) -> dict[str, Any]:
        """JSON-friendly values, for audit diffs."""
        out = dataclasses.asdict(self)
        out["last_reviewed_on"] = (
            self.last_reviewed_on.isoformat() if self.last_reviewed_on else None
        )
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


FIELDS = tuple(f.name for f in dataclasses.fields(PolicySpec))


@dataclass
class _Errors:
    messages: list[str] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.messages.append(f"{name}: {message}")


def _choice(errors: _Errors, name: str, value: str, allowed: tuple[str, ...]) -> str:
    value = value.strip().lower()
    if value and value not in allowed:
        errors.add(name, f"unknown value {value!r}; one of {', '.join(allowed)}")
    return value


def _texts(
    errors: _Errors, name: str, values: Iterable[str], *, upper: bool = False
) -> tuple[str, ...]:
    out: list[str] = []
    for raw in values:
        value = raw.strip()
        if not value:
            errors.add(name, "entries must be non-empty")
            continue
        if len(value) > MAX_TEXT:
            errors.add(name, f"entries have at most {MAX_TEXT} characters")
            continue
        value = value.upper() if upper else value.lower()
        if value not in out:
            out.append(value)
    return tuple(out)


def _roles(errors: _Errors, name: str, values: Iterable[str]) -> tuple[str, ...]:
    out = _texts(errors, name, values)
    unknown = [r for r in out if r not in roles.ROLES]
    if unknown:
        errors.add(name, f"unknown role(s) {', '.join(unknown)}; one of {', '.join(roles.ROLES)}")
    return out


def _days(errors: _Errors, name: str, value: int) -> int:
    if value < 0 or value > MAX_DAYS:
        errors.add(name, f"must be between 0 and {MAX_DAYS} days, got {value}")
    return value


def check(spec: PolicySpec) -> PolicySpec:
    """The normalized spec, or InvalidArgument naming every bad field."""
    errors = _Errors()
    sensitivity = spec.sensitivity.strip().lower()
    if not sensitivity:
        errors.add("sensitivity", "required")
    elif sensitivity not in classification.LEVELS:
        errors.add(
            "sensitivity",
            f"unknown level {sensitivity!r}; one of {', '.join(classification.LEVELS)}",
        )
    retention_days = _days(errors, "retention_days", spec.retention_days)
    start = _choice(errors, "retention_start", spec.retention_start, RETENTION_STARTS)
    action = _choice(errors, "deletion_action", spec.deletion_action, DELETION_ACTIONS)
    if retention_days == 0 and (start or action) and not spec.legal_hold:
        # A start or action without a period means nothing; under legal hold data is kept anyway.
        errors.add("retention_days", "must be > 0 when a retention start or deletion action is set")
    if retention_days > 0:
        start, action = start or "created", action or "delete"
    allowed = _texts(errors, "allowed_regions", spec.allowed_regions, upper=True)
    restricted = _texts(errors, "restricted_regions", spec.restricted_regions, upper=True)
    both = [r for r in allowed if r in restricted]
    if both:
        errors.add("restricted_regions", f"also allowed: {', '.join(both)}")
    residency = spec.residency.strip().upper()
    if len(residency) > MAX_TEXT:
        errors.add("residency", f"at most {MAX_TEXT} characters")
    elif residency and residency in restricted:
        errors.add("residency", f"{residency} is a restricted region")
    min_role = spec.min_role.strip().lower()
    if min_role and min_role not in roles.ROLES:
        errors.add("min_role", f"unknown role {min_role!r}; one of {', '.join(roles.ROLES)}")
    allowed_roles = _roles(errors, "allowed_roles", spec.allowed_roles)
    denied_roles = _roles(errors, "denied_roles", spec.denied_roles)
    clash = [r for r in allowed_roles if r in denied_roles]
    if clash:
        errors.add("denied_roles", f"also allowed: {', '.join(clash)}")
    purposes = _texts(errors, "purposes", spec.purposes)
    wanted = _texts(errors, "compliance", spec.compliance)
    unknown = [c for c in wanted if c not in classification.COMPLIANCE]
    if unknown:
        errors.add(
            "compliance",
            f"unknown framework(s) {', '.join(unknown)}; one of "
            f"{', '.join(classification.COMPLIANCE)}",
        )
    review = _days(errors, "review_cycle_days", spec.review_cycle_days)
    if errors.messages:
        raise InvalidArgument("invalid policy: " + "; ".join(errors.messages))
    return PolicySpec(
        sensitivity=sensitivity,
        retention_days=retention_days,
        retention_start=start,
        deletion_action=action,
        legal_hold=spec.legal_hold,
        allowed_regions=allowed,
        restricted_regions=restricted,
        residency=residency,
        min_role=min_role,
        allowed_roles=allowed_roles,
        denied_roles=denied_roles,
        purposes=purposes,
        masking_required=spec.masking_required,
        encryption_required=spec.encryption_required,
        compliance=tuple(c for c in classification.COMPLIANCE if c in wanted),
        review_cycle_days=review,
        last_reviewed_on=spec.last_reviewed_on,
    )


def parse_date(name: str, value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(f"{name}: {value!r} is not a YYYY-MM-DD date") from None


def merge(current: PolicySpec, fields: Iterable[str], update: PolicySpec) -> PolicySpec:
    """`current` with the named fields (some of FIELDS) taken from `update` (unchecked)."""
    return dataclasses.replace(current, **{n: getattr(update, n) for n in fields})


def next_review(spec: PolicySpec, created: date) -> date | None:
    """When the policy is next due for review: a cycle after its last review (or creation)."""
    if not spec.review_cycle_days:
        return None
    return (spec.last_reviewed_on or created) + timedelta(days=spec.review_cycle_days)


def is_overdue(next_review_date: date | None, today: date) -> bool:
    return next_review_date is not None and next_review_date < today


@dataclass(frozen=True)
class Policy:
    """A stored policy on an object (column == "") or one of its columns."""

    id: int
    object_urn: str
    object_ref: str
    source_name: str
    column: str
    spec: PolicySpec
    created_by: str
    updated_by: str
    next_review_date: date | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def snapshot(self) -> dict[str, Any]:
        """What the audit trail compares: the target and the spec."""
        return {
            "object": self.object_ref,
            "column": self.column or None,
            **self.spec.snapshot(),
            "next_review_date": (
                self.next_review_date.isoformat() if self.next_review_date else None
            ),
        }
