"""A notice: what one event says to a human, independent of the channel it goes to; which
catalogued events a rule may subscribe to; and the digest standing for the notices folded in a
rate-limit window."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from dckit.event_catalogue import EventType

DIGEST_EVENT = "datacompass.notifier.digest"  # not published: the event type of a digest
TEST_EVENT = "datacompass.notifier.test"  # not published: the event type of a test send


@dataclass(frozen=True)
class Subscription:
    """A catalogued event rules may subscribe to (the notifier turns it into notices)."""

    event: EventType
    alias: str  # the short name a rule may use instead of the full type (`breach_detected`)
    by_default: bool = True  # subscribed by a rule that names no event type


@dataclass(frozen=True)
class Notice:
    event_type: str
    title: str
    body: str
    link: str
    object_key: str  # what rate limits and filters apply to: an object ref, or "source:<name>"
    object_ref: str = ""
    source: str = ""
    priority: str = ""
    dedupe_key: str = ""  # same key inside a rule's window = same news, sent once
    time: str = ""  # ISO time of the event
    breaking: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Notice:
        return cls(**{k: v for k, v in value.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Received:
    """A domain event the notifier received, as its notice."""

    event_id: str
    event_type: str
    time: datetime | None
    notice: Notice


@dataclass(frozen=True)
class Window:
    """A rate-limit window of one rule and object: its first notice was sent at once, later
    ones are deduped (`seen_keys`) or folded into one digest sent when the window ends."""

    id: int
    rule_id: int
    object_key: str
    started_at: datetime
    ends_at: datetime
    seen_keys: list[str]
    folded: list[dict[str, Any]]


def digest(rule_name: str, object_key: str, folded: list[dict[str, Any]], link: str) -> Notice:
    """One message standing for every notice folded during a rate-limit window."""
    notices = [Notice.from_json(n) for n in folded]
    lines = [f"• {n.title}" for n in notices[:20]]
    if len(notices) > 20:
        lines.append(f"… and {len(notices) - 20} more")
    first = notices[0]
    return Notice(
        event_type=DIGEST_EVENT,
        title=f"{len(notices)} more notifications for {object_key} (rule {rule_name})",
        body="\n".join(lines),
        link=link,
        object_key=object_key,
        object_ref=first.object_ref,
        source=first.source,
        priority=highest_priority([n.priority for n in notices]),
        time=notices[-1].time,
        metadata={"count": len(notices), "event_types": sorted({n.event_type for n in notices})},
    )


PRIORITIES = ("critical", "high", "medium", "low")


def highest_priority(priorities: list[str]) -> str:
    known = [p for p in priorities if p in PRIORITIES]
    return min(known, key=PRIORITIES.index) if known else ""
