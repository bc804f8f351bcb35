"""Breach lifecycle: open → acknowledged → resolved | dismissed, with who and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dckit.errors import FailedPrecondition, InvalidArgument

STATUSES = ("open", "acknowledged", "resolved", "dismissed")
OPEN = ("open", "acknowledged")  # what counts as an open breach
PRIORITIES = ("critical", "high", "medium", "low")
_ALLOWED = {
    "open": {"acknowledged", "resolved", "dismissed"},
    "acknowledged": {"open", "resolved", "dismissed"},
    "resolved": {"open"},  # reopen
    "dismissed": {"open"},
}


@dataclass(frozen=True)
class BreachFilter:
    """Which breaches a list shows (every field empty: all)."""

    status: Sequence[str] = ()
    priority: Sequence[str] = ()
    object_urn: str | None = None  # None: every object's
    config_id: int = 0
    expectation_id: int = 0
    since: date | None = None

    def validated(self) -> BreachFilter:
        for s in self.status:
            if s not in STATUSES:
                raise InvalidArgument(f"status must be one of {', '.join(STATUSES)}")
        for p in self.priority:
            if p not in PRIORITIES:
                raise InvalidArgument(f"priority must be one of {', '.join(PRIORITIES)}")
        return self


def since_date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidArgument(f"since must be a date (YYYY-MM-DD), not {text!r}") from exc


def validate_priority(priority: str) -> str:
    priority = priority or "medium"
    if priority not in PRIORITIES:
        raise InvalidArgument(f"priority must be one of {', '.join(PRIORITIES)}")
    return priority


def transition(current: str, target: str, reason: str) -> str:
    if target not in STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(STATUSES)}")
    if target == current:
        raise FailedPrecondition(f"breach is already {current}")
    if target not in _ALLOWED[current]:
        raise FailedPrecondition(f"a {current} breach cannot become {target}")
    if target == "dismissed" and not reason.strip():
        raise InvalidArgument("dismissing a breach needs a reason")
    return target
