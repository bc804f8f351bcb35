"""Breach lifecycle: open → acknowledged → resolved | dismissed, with who and why."""

from __future__ import annotations

from dckit.errors import FailedPrecondition, InvalidArgument

STATUSES = ("open", "acknowledged", "resolved", "dismissed")
PRIORITIES = ("critical", "high", "medium", "low")
_ALLOWED = {
    "open": {"acknowledged", "resolved", "dismissed"},
    "acknowledged": {"open", "resolved", "dismissed"},
    "resolved": {"open"},  # reopen
    "dismissed": {"open"},
}


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
