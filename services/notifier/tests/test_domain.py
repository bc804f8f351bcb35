"""Pure rules: retry timing, Retry-After parsing, rule matching."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from notifier_service.domain import retry, rules
from notifier_service.domain.notices import Notice


def test_backoff_doubles_with_jitter_and_honours_retry_after() -> None:
    rng = random.Random(1)
    for attempt, full in ((1, 1.0), (2, 2.0), (3, 4.0)):
        wait = retry.delay(attempt, 1.0, 60.0, None, rng)
        assert full / 2 <= wait <= full
    assert retry.delay(1, 1.0, 60.0, 30.0, rng) == 30.0
    assert retry.delay(10, 1.0, 60.0, 3600.0, rng) == 60.0  # capped


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert retry.parse_retry_after("7") == 7.0
    assert retry.parse_retry_after("Sat, 28 Nov 2026 12:00:30 GMT", now) == 30.0
    assert retry.parse_retry_after("soon") is None
    assert retry.http_outcome(503, None).retryable
    assert not retry.http_outcome(400, None).retryable


def test_rule_matching() -> None:
    rule = {
        "enabled": True, "event_types": [rules.SCHEMA_CHANGED, rules.BREACH_DETECTED],
        "object_refs": ["shop.sales.*"], "source_names": [], "priorities": ["high"],
        "include_non_breaking": False,
    }  # fmt: skip
    n = Notice(rules.BREACH_DETECTED, "t", "b", "", "shop.sales.o", "shop.sales.o", "shop", "high")
    assert rules.matches(rule, n)
    assert not rules.matches({**rule, "priorities": ["low"]}, n)
    assert not rules.matches(rule, Notice(**{**n.__dict__, "object_ref": "shop.hr.people"}))
    minor = Notice(**{**n.__dict__, "event_type": rules.SCHEMA_CHANGED, "breaking": False})
    assert not rules.matches(rule, minor)
    assert rules.matches({**rule, "include_non_breaking": True}, minor)
