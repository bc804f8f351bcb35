"""Pure rules: retry timing, Retry-After parsing, rule matching, subscribable events."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from datacompass.quality.v1 import dq_pb2 as qpb
from dckit import event_catalogue as events
from dckit.errors import InvalidArgument
from notifier_service.api.notices_mappers import NOTICES, breach_detected
from notifier_service.domain import deliveries as retry
from notifier_service.domain import rules
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
    rule = rules.RuleSpec(
        name="r", event_types=[events.SCHEMA_CHANGED.name, events.BREACH_DETECTED.name],
        object_refs=["shop.sales.*"], source_names=[], priorities=["high"], channel_ids=[1],
    )  # fmt: skip
    detected = events.BREACH_DETECTED.name
    n = Notice(detected, "t", "b", "", "shop.sales.o", "shop.sales.o", "shop", "high")
    assert rules.matches(rule, n)
    assert not rules.matches(replace(rule, priorities=["low"]), n)
    assert not rules.matches(rule, replace(n, object_ref="shop.hr.people"))
    minor = replace(n, event_type=events.SCHEMA_CHANGED.name, breaking=False)
    assert not rules.matches(rule, minor)
    assert rules.matches(replace(rule, include_non_breaking=True), minor)


def test_rules_subscribe_to_the_catalogued_events_the_notifier_has_notices_for() -> None:
    subscribable = NOTICES.subscriptions
    assert all(events.get(s.event.name) is s.event for s in subscribable)
    assert {s.alias: s.event for s in subscribable} == {
        "breach_detected": events.BREACH_DETECTED,
        "breach_bulk": events.BREACH_BULK,
        "sync_failed": events.SCAN_FAILED,
        "sync_completed": events.SCAN_COMPLETED,
        "schema_changed": events.SCHEMA_CHANGED,
        "deprecation_deadline": events.DEPRECATION_DEADLINE_APPROACHING,
    }
    blank = rules.RuleSpec("r", [], [], [], [], [1])
    defaults = rules.validate(blank, subscribable).event_types
    assert events.SCAN_COMPLETED.name not in defaults and len(defaults) == 5  # opt-in
    chosen = replace(blank, event_types=["sync_completed", events.SCAN_COMPLETED.name])
    assert rules.validate(chosen, subscribable).event_types == [events.SCAN_COMPLETED.name]
    with pytest.raises(InvalidArgument, match=r"unknown event type 'datacompass\.quality\.check"):
        rules.validate(replace(blank, event_types=[events.CHECK_FAILED.name]), subscribable)


def test_a_breach_without_its_value_says_nothing_of_it() -> None:
    """Quality leaves a value metric's numbers out of its events: the notice must not show
    a made-up 0 or the thresholds."""
    breach = qpb.Breach(
        id=4, object_ref="shop.sales.o", metric_type="max", column="salary", priority="high",
        bucket="2026-11-20", direction="above", deviation=0.5,
    )  # fmt: skip
    notice = breach_detected(qpb.BreachDetected(breach=breach), events.BREACH_DETECTED, "")
    assert "max(salary) for 2026-11-20, above the expected range by 50%" in notice.body
    assert " = " not in notice.body and notice.metadata["value"] is None
    breach.value, breach.threshold_high = 7.0, 5.0
    notice = breach_detected(qpb.BreachDetected(breach=breach), events.BREACH_DETECTED, "")
    assert "max(salary) = 7 for 2026-11-20" in notice.body and "[-∞, 5]" in notice.body
