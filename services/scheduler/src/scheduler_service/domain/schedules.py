"""Schedule rules: what a valid schedule is (cron, time zone, task type and its parameters,
limits) and when it fires next. Pure: no I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from dckit.errors import InvalidArgument

METADATA_SCAN = "metadata_scan"
DQ_RUN = "dq_run"
QUALITY_CHECK = "quality_check"
TASK_TYPES = (METADATA_SCAN, DQ_RUN, QUALITY_CHECK)

DEFAULT_MISFIRE_GRACE = 300
DEFAULT_MAX_ATTEMPTS = 3
MAX_MISFIRE_GRACE = 7 * 86400
MAX_ATTEMPTS = 10
MAX_DQ_DAYS = 3660
NAME_MAX = 200


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    cron: str
    timezone: str
    task_type: str
    params: dict[str, Any]
    enabled: bool = True
    misfire_grace_seconds: int = DEFAULT_MISFIRE_GRACE
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


def validate(spec: ScheduleSpec) -> ScheduleSpec:
    """The spec with normalised values; InvalidArgument naming the first bad field."""
    name = spec.name.strip()
    if not name:
        raise InvalidArgument("name: required")
    if len(name) > NAME_MAX:
        raise InvalidArgument(f"name: at most {NAME_MAX} characters")
    cron = validate_cron(spec.cron)
    timezone = validate_timezone(spec.timezone)
    params = validate_params(spec.task_type, spec.params)
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


def validate_params(task_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
    if task_type == METADATA_SCAN:
        _only(params, {"source_name"})
        return {"source_name": _required_text(params, "source_name")}
    if task_type == QUALITY_CHECK:
        _only(params, {"object_ref"})
        return {"object_ref": _object_ref(params)}
    if task_type == DQ_RUN:
        _only(params, {"object_ref", "days"})
        out: dict[str, Any] = {"object_ref": _object_ref(params)}
        if params.get("days") is not None:
            days = params["days"]
            # Struct numbers arrive as floats: accept 7.0, refuse 7.5 and true.
            if (
                isinstance(days, bool)
                or not isinstance(days, int | float)
                or not math.isfinite(days)
                or days != int(days)
                or not 1 <= days <= MAX_DQ_DAYS
            ):
                raise InvalidArgument(
                    f"params.days: must be a whole number between 1 and {MAX_DQ_DAYS}"
                )
            out["days"] = int(days)
        return out
    raise InvalidArgument(
        f"task_type: {task_type!r} is not one of {', '.join(TASK_TYPES)}"
        if task_type
        else f"task_type: required (one of {', '.join(TASK_TYPES)})"
    )


def _object_ref(params: Mapping[str, Any]) -> str:
    ref = _required_text(params, "object_ref")
    if len(ref.split(".")) != 3 or not all(ref.split(".")):
        raise InvalidArgument(f"params.object_ref: {ref!r} is not source.schema.name")
    return ref


def _only(params: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidArgument(
            f"params.{unknown[0]}: unknown parameter (allowed: {', '.join(sorted(allowed))})"
        )


def _required_text(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"params.{key}: required (a non-empty string)")
    return value.strip()


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


def backoff_delay(attempt: int, base: float, cap: float, jitter: float) -> float:
    """Delay after failed attempt `attempt` (1-based): base·2^(attempt-1), capped, then
    "equal jitter" (half fixed, half random with `jitter` in [0, 1]) so replicas spread out."""
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay / 2 + delay / 2 * jitter
