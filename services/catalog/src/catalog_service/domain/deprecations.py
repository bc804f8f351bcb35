"""Deprecation campaigns: deadline validation, status and days left, notice thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from dckit.errors import InvalidArgument

ACTIVE, DEADLINE_PASSED, WITHDRAWN = "active", "deadline_passed", "withdrawn"
STATUSES = (ACTIVE, DEADLINE_PASSED, WITHDRAWN)
# Days before the deadline at which datacompass.catalog.deprecation.deadline_approaching is
# sent (once per deprecation and threshold; only the most urgent one when several apply).
NOTICE_DAYS = (7, 1)
MAX_MESSAGE = 2000


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
        return WITHDRAWN
    return DEADLINE_PASSED if deadline < on else ACTIVE


def view(row: Mapping[str, Any], *, on: date) -> dict[str, Any]:
    """A stored deprecation as callers see it on day `on`: with its status and days left."""
    return {
        **row,
        "status": status(row["deadline"], row["withdrawn_at"] is not None, on=on),
        "days_left": (row["deadline"] - on).days,
    }


def public(row: Mapping[str, Any]) -> dict[str, Any]:
    """The auditable view of a deprecation."""
    return {
        "deadline": row["deadline"].isoformat(),
        "replacement_urn": row["replacement_urn"],
        "message": row["message"],
    }


def validate_status(value: str) -> str:
    if value and value not in STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(STATUSES)} or empty (all)")
    return value
