"""Schedule rules: what a valid schedule is (cron, time zone, task type and its parameters,
limits) and when it fires next. Pure: no I/O."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from dckit.errors import InvalidArgument

DEFAULT_MISFIRE_GRACE = 300
DEFAULT_MAX_ATTEMPTS = 3
MAX_MISFIRE_GRACE = 7 * 86400
MAX_ATTEMPTS = 10
NAME_MAX = 200

# Checks a task type's params and returns them normalised (InvalidArgument naming the field).
ParamsCheck = Callable[[str, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ScheduleSpec:
    """What a caller says about a schedule (create, or the result of an update)."""

    name: str
    cron: str
    timezone: str
    task_type: str
    params: dict[str, Any]
    enabled: bool = True
    misfire_grace_seconds: int = DEFAULT_MISFIRE_GRACE
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


# The fields an update may change: every field of the spec.
UPDATABLE = tuple(f.name for f in fields(ScheduleSpec))


@dataclass(frozen=True)
class Schedule(ScheduleSpec):
    """A stored schedule: its spec plus what the scheduler keeps about it."""

    id: int = 0
    next_run_at: datetime | None = None  # None while disabled
    last_run_at: datetime | None = None
    created_by: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def spec(self) -> ScheduleSpec:
        return ScheduleSpec(**{name: getattr(self, name) for name in UPDATABLE})


def snapshot(spec: ScheduleSpec) -> dict[str, Any]:
    """What the audit trail records of a schedule."""
    return {name: getattr(spec, name) for name in UPDATABLE}


def validate(spec: ScheduleSpec, check_params: ParamsCheck) -> ScheduleSpec:
    """The spec with normalised values; InvalidArgument naming the first bad field. Params are
    checked by their task type (`check_params`)."""
    name = spec.name.strip()
    if not name:
        raise InvalidArgument("name: required")
    if len(name) > NAME_MAX:
        raise InvalidArgument(f"name: at most {NAME_MAX} characters")
    cron = validate_cron(spec.cron)
    timezone = validate_timezone(spec.timezone)
    params = check_params(spec.task_type, spec.params)
    if not 1 <= spec.misfire_grace_seconds <= MAX_MISFIRE_GRACE:
        raise InvalidArgument(f"misfire_grace_seconds: must be between 1 and {MAX_MISFIRE_GRACE}")
    if not 1 <= spec.max_attempts <= MAX_ATTEMPTS:
        raise InvalidArgument(f"max_attempts: must be between 1 and {MAX_ATTEMPTS}")
    return ScheduleSpec(
        name,
        cron,
        timezone,
        spec.task_type,
        params,
        spec.enabled,
        spec.misfire_grace_seconds,
        spec.max_attempts,
    )


def validate_cron(expr: str) -> str:
    cron = " ".join(expr.split())
    # croniter also takes 6/7-field (seconds, year) forms and @macros; we promise 5 fields.
    if len(cron.split(" ")) != 5 or not croniter.is_valid(cron):
        raise InvalidArgument(
            f"cron: {expr!r} is not a valid 5-field cron expression "
            "(minute hour day-of-month month day-of-week)"
        )
    return cron


def validate_timezone(name: str) -> str:
    tz = name.strip() or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidArgument(f"timezone: {name!r} is not an IANA time zone") from exc
    return tz


# ---------------------------------------------------------------- task params
# The pieces task types build their param checks from (application/tasks.py).


def only(params: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidArgument(
            f"params.{unknown[0]}: unknown parameter (allowed: {', '.join(sorted(allowed))})"
        )


def required_text(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"params.{key}: required (a non-empty string)")
    return value.strip()


def object_ref(params: Mapping[str, Any]) -> str:
    ref = required_text(params, "object_ref")
    if len(ref.split(".")) != 3 or not all(ref.split(".")):
        raise InvalidArgument(f"params.object_ref: {ref!r} is not source.schema.name")
    return ref


def whole_number(params: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    """An optional whole-number param (None when absent)."""
    value = params.get(key)
    if value is None:
        return None
    # Struct numbers arrive as floats: accept 7.0, refuse 7.5 and true.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value != int(value)
        or not low <= value <= high
    ):
        raise InvalidArgument(f"params.{key}: must be a whole number between {low} and {high}")
    return int(value)


# ---------------------------------------------------------------- firing times


def next_fire(cron: str, timezone: str, after: datetime) -> datetime:
    """The first fire time strictly after `after` (UTC), reading the cron fields as wall-clock
    time in `timezone`. A wall time that does not exist (spring forward) fires when the clock
    jumps; a wall time that occurs twice (fall back) fires once, at its first occurrence,
    unless the hour field is `*` (then it is an interval and every real hour counts)."""
    zone = ZoneInfo(timezone)
    hourly = cron.split(" ")[1] == "*"
    it = croniter(cron, after.astimezone(zone))
    while True:
        candidate: datetime = it.get_next(datetime).astimezone(zone)
        if not hourly and _second_occurrence(candidate):
            continue
        return candidate.astimezone(UTC)


def _second_occurrence(local: datetime) -> bool:
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def latest_due(cron: str, timezone: str, since: datetime, now: datetime) -> datetime:
    """The last fire time in (since, now], or `since` itself when there is none after it (the
    caller passes the stored next_run_at, which was due). Used when several slots were missed:
    only the newest can still be on time."""
    latest = since
    probe = next_fire(cron, timezone, since)
    steps = 0
    # Bounded: after a long outage jump near `now` instead of walking every missed minute.
    while probe <= now:
        latest, steps = probe, steps + 1
        if steps >= 1000:
            return latest_due(cron, timezone, max(latest, now - timedelta(days=1)), now)
        probe = next_fire(cron, timezone, probe)
    return latest


def is_misfire(scheduled_for: datetime, now: datetime, grace_seconds: int) -> bool:
    return (now - scheduled_for).total_seconds() > grace_seconds
