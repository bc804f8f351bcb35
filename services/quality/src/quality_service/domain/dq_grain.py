"""Time buckets: a run measures whole calendar buckets (day, ISO week from Monday, month)."""

from __future__ import annotations

from datetime import date, timedelta

from dckit.errors import InvalidArgument

GRAINS = ("daily", "weekly", "monthly")


def validate_grain(grain: str) -> str:
    if grain not in GRAINS:
        raise InvalidArgument(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    return grain


def bucket_start(day: date, grain: str) -> date:
    if grain == "weekly":
        return day - timedelta(days=day.weekday())
    if grain == "monthly":
        return day.replace(day=1)
    return day


def next_bucket(start: date, grain: str) -> date:
    if grain == "weekly":
        return start + timedelta(days=7)
    if grain == "monthly":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def buckets(first: date, last: date, grain: str) -> list[date]:
    """Every bucket from the one holding `first` to the one holding `last`, inclusive."""
    if last < first:
        raise InvalidArgument(f"end date {last} is before start date {first}")
    out, current, stop = [], bucket_start(first, grain), bucket_start(last, grain)
    while current <= stop:
        out.append(current)
        current = next_bucket(current, grain)
    return out


def last_complete(today: date, grain: str) -> date:
    """The latest bucket that has fully ended by `today` (runs measure finished periods)."""
    return bucket_start(bucket_start(today, grain) - timedelta(days=1), grain)


def backfill_range(today: date, days: int, grain: str) -> tuple[date, date]:
    """The last `days` days before today, widened to whole buckets."""
    if days < 1:
        raise InvalidArgument("days must be at least 1")
    if days > 3660:
        raise InvalidArgument("days must be at most 3660")
    end = today - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    return bucket_start(start, grain), last_complete(today, grain)


def split(items: list[date], parts: int) -> list[list[date]]:
    """Consecutive chunks of nearly equal size (for bounded parallelism over a range)."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out, at = [], 0
    for i in range(parts):
        n = size + (1 if i < extra else 0)
        out.append(items[at : at + n])
        at += n
    return [chunk for chunk in out if chunk]
