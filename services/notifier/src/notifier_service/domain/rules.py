"""Subscription rules: validation and which rules an event's notice matches."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from dckit import event_catalogue
from dckit.errors import InvalidArgument
from notifier_service.domain.notices import PRIORITIES, Notice, Subscription

DEFAULT_RATE_LIMIT_SECONDS = 300
MAX_RATE_LIMIT_SECONDS = 86_400


@dataclass(frozen=True)
class RuleSpec:
    name: str
    event_types: list[str]  # full event types
    object_refs: list[str]  # "*" wildcards allowed; empty = all
    source_names: list[str]  # empty = all
    priorities: list[str]  # empty = all
    channel_ids: list[int]
    enabled: bool = True
    rate_limit_seconds: int = DEFAULT_RATE_LIMIT_SECONDS  # 0 = no limit
    include_non_breaking: bool = False  # schema changes: also non-breaking ones


# The fields a rule is made of (and an update may change).
FIELDS = tuple(f.name for f in fields(RuleSpec))


@dataclass(frozen=True)
class Rule(RuleSpec):
    id: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def spec(self) -> RuleSpec:
        return RuleSpec(**snapshot(self))


def snapshot(rule: RuleSpec) -> dict[str, Any]:
    """What the audit trail records of a rule (and what an update starts from)."""
    return {name: getattr(rule, name) for name in FIELDS}


def validate(spec: RuleSpec, subscribable: Sequence[Subscription]) -> RuleSpec:
    """The normalised spec, or InvalidArgument listing every problem. Event types are the
    `subscribable` ones, by full type or short alias; none = every one subscribed by default."""
    errors: list[str] = []
    if not spec.name.strip():
        errors.append("name: required")
    by_name = {s.alias: s.event.name for s in subscribable}
    by_name.update({s.event.name: s.event.name for s in subscribable})
    types: list[str] = []
    for t in spec.event_types:
        full = by_name.get(t)
        if full is None:
            errors.append(
                f"event_types: unknown event type {t!r} (one of "
                f"{', '.join(s.alias for s in subscribable)}, or their full types)"
            )
        elif full not in types:
            types.append(full)
    if any(not r.strip() for r in spec.object_refs):
        errors.append("object_refs: empty entry")
    if any(not s.strip() for s in spec.source_names):
        errors.append("source_names: empty entry")
    for p in spec.priorities:
        if p not in PRIORITIES:
            errors.append(f"priorities: {p!r} is not one of {', '.join(PRIORITIES)}")
    if not spec.channel_ids:
        errors.append("channel_ids: at least one channel is required")
    if not 0 <= spec.rate_limit_seconds <= MAX_RATE_LIMIT_SECONDS:
        errors.append(f"rate_limit_seconds: must be between 0 and {MAX_RATE_LIMIT_SECONDS}")
    if errors:
        raise InvalidArgument("invalid rule: " + "; ".join(errors))
    return RuleSpec(
        name=spec.name.strip(),
        event_types=types or [s.event.name for s in subscribable if s.by_default],
        object_refs=list(dict.fromkeys(spec.object_refs)),
        source_names=list(dict.fromkeys(spec.source_names)),
        priorities=list(dict.fromkeys(spec.priorities)),
        channel_ids=list(dict.fromkeys(spec.channel_ids)),
        enabled=spec.enabled,
        rate_limit_seconds=spec.rate_limit_seconds,
        include_non_breaking=spec.include_non_breaking,
    )


def matches(rule: RuleSpec, notice: Notice) -> bool:
    """Empty filters mean "all"; object refs may use shell wildcards (shop.sales.*)."""
    if not rule.enabled or notice.event_type not in rule.event_types:
        return False
    schema_change = notice.event_type == event_catalogue.SCHEMA_CHANGED.name
    if schema_change and not notice.breaking and not rule.include_non_breaking:
        return False
    refs = rule.object_refs
    if refs and not any(fnmatch.fnmatchcase(notice.object_ref, r) for r in refs):
        return False
    if rule.source_names and notice.source not in rule.source_names:
        return False
    return not (rule.priorities and notice.priority not in rule.priorities)
