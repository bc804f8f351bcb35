"""Deprecation campaigns: deadline validation, status and days left, notice thresholds."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dckit.errors import InvalidArgument

STATUSES = ("active", "deadline_passed", "withdrawn")
# Days before the deadline at which datacompass.catalog.deprecation.deadline_approaching is
# sent (once per deprecation and threshold; only the most urgent one when several apply).
NOTICE_DAYS = (7, 1)
MAX_MESSAGE = 2000


def today() -> date:
    return datetime.now(UTC).date()


def parse_deadline(value: str, *, on: date) -> date:
    """`YYYY-MM-DD`, today (`on`, UTC) or later."""
    try:
        deadline = date.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise InvalidArgument(f"deadline must be a date YYYY-MM-DD, got {value!r}") from exc
    if deadline < on:
        raise InvalidArgument(f"deadline {deadline.isoformat()} is in the past")
    return deadline


def clean_message(value: str) -> str:
    message = (value or "").strip()
    if len(message) > MAX_MESSAGE:
        raise InvalidArgument(f"message is limited to {MAX_MESSAGE} characters")
    return message


def status(deadline: date, withdrawn: bool, *, on: date) -> str:
    if withdrawn:
        return "withdrawn"
    return "deadline_passed" if deadline < on else "active"


def validate_status(value: str) -> str:
    if value and value not in STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(STATUSES)} or empty (all)")
    return value
