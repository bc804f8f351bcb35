"""A notice: what one event says to a human, independent of the channel it goes to."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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


def digest(rule_name: str, object_key: str, folded: list[dict[str, Any]], link: str) -> Notice:
    """One message standing for every notice folded during a rate-limit window."""
    notices = [Notice.from_json(n) for n in folded]
    lines = [f"• {n.title}" for n in notices[:20]]
    if len(notices) > 20:
        lines.append(f"… and {len(notices) - 20} more")
    first = notices[0]
    return Notice(
        event_type="datacompass.notifier.digest",
        title=f"{len(notices)} more notifications for {object_key} (rule {rule_name})",
        body="\n".join(lines),
        link=link,
        object_key=object_key,
        object_ref=first.object_ref,
        source=first.source,
        priority=_highest([n.priority for n in notices]),
        time=notices[-1].time,
        metadata={"count": len(notices), "event_types": sorted({n.event_type for n in notices})},
    )


PRIORITIES = ("critical", "high", "medium", "low")


def _highest(priorities: list[str]) -> str:
    known = [p for p in priorities if p in PRIORITIES]
    return min(known, key=PRIORITIES.index) if known else ""


highest_priority = _highest
