"""Deliveries: one notice to one channel, attempted until sent or given up. What an attempt
did, which failures are worth another attempt and when, and the log of attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any


class AttemptStatus(StrEnum):
    """What became of a delivery after one attempt."""

    SENT = "sent"
    RETRYING = "retrying"  # failed; another attempt is due later
    DEAD = "dead"  # failed for good (dead-lettered)


@dataclass(frozen=True)
class Delivery:
    """A planned delivery. Its status: pending → sending (leased) → sent | pending (retry)
    | dead."""

    id: int
    event_id: str  # "digest-<window id>" for digests
    event_type: str
    event_time: datetime
    channel_id: int
    rule_id: int
    window_id: int | None  # digests: the window whose folded notices they carry
    notice: dict[str, Any]
    status: str
    attempts: int


@dataclass(frozen=True)
class LogEntry:
    """One delivery attempt (or test send: no delivery)."""

    id: int
    delivery_id: int | None
    channel_id: int
    channel_type: str
    event_id: str
    event_type: str
    attempt: int
    status: AttemptStatus
    response: str
    error: str
    latency_ms: int
    created_at: datetime | None


@dataclass(frozen=True)
class Outcome:
    """What one send attempt did. `retryable` only matters when not ok."""

    ok: bool
    response: str = ""  # "HTTP 200", "SMTP 250 ..."
    error: str = ""
    reason: str = ""  # metric label: timeout | connection | http_5xx | http_429 | http_4xx | smtp
    retryable: bool = False
    retry_after: float | None = None  # seconds the receiver asked us to wait


def http_outcome(status: int, retry_after: str | None, body: str = "") -> Outcome:
    response = f"HTTP {status}"
    if 200 <= status < 300:
        return Outcome(True, response)
    error = f"HTTP {status}: {body[:200]}".rstrip(": ")
    if status == 429:
        return Outcome(False, response, error, "http_429", True, parse_retry_after(retry_after))
    if status >= 500:
        return Outcome(False, response, error, "http_5xx", True, parse_retry_after(retry_after))
    return Outcome(False, response, error, "http_4xx", False)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After is delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def delay(
    attempt: int, base: float, cap: float, retry_after: float | None, rng: random.Random
) -> float:
    """Exponential backoff with "equal jitter" (half fixed, half random) after `attempt`
    failed attempts; a longer Retry-After wins; never more than `cap`."""
    backoff = min(cap, base * 2 ** max(0, attempt - 1))
    wait = backoff / 2 + rng.uniform(0, backoff / 2)
    if retry_after is not None:
        wait = max(wait, retry_after)
    return min(wait, cap)
