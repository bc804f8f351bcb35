"""Subscription rules: validation and which rules an event's notice matches."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dckit.errors import InvalidArgument
from notifier_service.domain.notices import PRIORITIES, Notice

BREACH_DETECTED = "datacompass.quality.breach.detected"
BREACH_BULK = "datacompass.quality.breach.bulk"
SCAN_FAILED = "datacompass.catalog.scan.failed"
SCAN_COMPLETED = "datacompass.catalog.scan.completed"
SCHEMA_CHANGED = "datacompass.catalog.schema.changed"
DEPRECATION_DEADLINE = "datacompass.catalog.deprecation.deadline_approaching"

SHORT_NAMES = {
    "breach_detected": BREACH_DETECTED,
    "breach_bulk": BREACH_BULK,
    "sync_failed": SCAN_FAILED,
    "sync_completed": SCAN_COMPLETED,
    "schema_changed": SCHEMA_CHANGED,
    "deprecation_deadline": DEPRECATION_DEADLINE,
}
# What a rule without event types subscribes to: everything but the chatty sync_completed.
DEFAULT_TYPES = [t for s, t in SHORT_NAMES.items() if s != "sync_completed"]
DEFAULT_RATE_LIMIT_SECONDS = 300
_FULL_TYPE = re.compile(r"^datacompass(\.[a-z0-9_]+){2,}$")


@dataclass(frozen=True)
class RuleSpec:
    name: str
    event_types: list[str]
    object_refs: list[str]
    source_names: list[str]
    priorities: list[str]
    channel_ids: list[int]
    enabled: bool
    rate_limit_seconds: int
    include_non_breaking: bool

    def values(self) -> dict[str, Any]:
        return dict(self.__dict__)


def validate(
    *,
    name: str,
    event_types: Sequence[str],
    object_refs: Sequence[str],
    source_names: Sequence[str],
    priorities: Sequence[str],
    channel_ids: Sequence[int],
    enabled: bool,
    rate_limit_seconds: int,
    include_non_breaking: bool,
) -> RuleSpec:
    errors: list[str] = []
    if not name.strip():
        errors.append("name: required")
    types: list[str] = []
    for t in event_types:
        full = SHORT_NAMES.get(t, t)
        if not _FULL_TYPE.match(full):
            errors.append(
                f"event_types: unknown event type {t!r} (one of {', '.join(SHORT_NAMES)} "
                "or a full 'datacompass.<service>.<entity>.<verb>' type)"
            )
        elif full not in types:
            types.append(full)
    if any(not r.strip() for r in object_refs):
        errors.append("object_refs: empty entry")
    if any(not s.strip() for s in source_names):
        errors.append("source_names: empty entry")
    for p in priorities:
        if p not in PRIORITIES:
            errors.append(f"priorities: {p!r} is not one of {', '.join(PRIORITIES)}")
    if not channel_ids:
        errors.append("channel_ids: at least one channel is required")
    if rate_limit_seconds < 0 or rate_limit_seconds > 86_400:
        errors.append("rate_limit_seconds: must be between 0 and 86400")
    if errors:
        raise InvalidArgument("invalid rule: " + "; ".join(errors))
    return RuleSpec(
        name=name.strip(),
        event_types=types or list(DEFAULT_TYPES),
        object_refs=list(dict.fromkeys(object_refs)),
        source_names=list(dict.fromkeys(source_names)),
        priorities=list(dict.fromkeys(priorities)),
        channel_ids=list(dict.fromkeys(channel_ids)),
        enabled=enabled,
        rate_limit_seconds=rate_limit_seconds,
        include_non_breaking=include_non_breaking,
    )


def matches(rule: Mapping[Any, Any], notice: Notice) -> bool:
    """Empty filters mean "all"; object refs may use shell wildcards (shop.sales.*)."""
    if not rule["enabled"] or notice.event_type not in rule["event_types"]:
        return False
    breaking_only = not rule["include_non_breaking"]
    if notice.event_type == SCHEMA_CHANGED and not notice.breaking and breaking_only:
        return False
    refs = rule["object_refs"]
    if refs and not any(fnmatch.fnmatchcase(notice.object_ref, r) for r in refs):
        return False
    if rule["source_names"] and notice.source not in rule["source_names"]:
        return False
    return not (rule["priorities"] and notice.priority not in rule["priorities"])
