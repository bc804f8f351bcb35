"""Data policy rules: every bad field named, normalization, review dates."""

from __future__ import annotations

from datetime import date

import pytest

from dckit.errors import InvalidArgument
from governance_service.domain import policies as dom
from governance_service.domain.policies import PolicySpec


def _error(spec: PolicySpec) -> str:
    with pytest.raises(InvalidArgument) as err:
        dom.check(spec)
    return str(err.value)


def test_normalizes_and_defaults_retention() -> None:
    spec = dom.check(
        PolicySpec(
            sensitivity=" Confidential ",
            retention_days=2555,
            allowed_regions=("eu", " EU", "us"),
            restricted_regions=("cn",),
            residency="eu",
            allowed_roles=("Steward", "admin"),
            denied_roles=("viewer",),
            purposes=("Analytics", "analytics", "reporting"),
            compliance=("ccpa", "GDPR"),
        )
    )
    assert spec.sensitivity == "confidential"
    assert (spec.retention_start, spec.deletion_action) == ("created", "delete")
    assert spec.allowed_regions == ("EU", "US") and spec.residency == "EU"
    assert spec.allowed_roles == ("steward", "admin")
    assert spec.purposes == ("analytics", "reporting")
    assert spec.compliance == ("gdpr", "ccpa")  # canonical order


def test_every_bad_field_is_named() -> None:
    message = _error(
        PolicySpec(
            sensitivity="top-secret",
            retention_days=-1,
            retention_start="yesterday",
            deletion_action="shred",
            allowed_regions=("EU", " "),
            restricted_regions=("eu",),
            min_role="guest",
            allowed_roles=("analyst",),
            denied_roles=(),
            compliance=("iso27001",),
            review_cycle_days=-5,
        )
    )
    for name in (
        "sensitivity",
        "retention_days",
        "retention_start",
        "deletion_action",
        "allowed_regions",
        "restricted_regions",
        "min_role",
        "allowed_roles",
        "compliance",
        "review_cycle_days",
    ):
        assert f"{name}:" in message, name
    assert "purposes" not in message


def test_sensitivity_required() -> None:
    assert "sensitivity: required" in _error(PolicySpec())


def test_overlapping_roles_refused() -> None:
    message = _error(
        PolicySpec(sensitivity="internal", allowed_roles=("editor",), denied_roles=("editor",))
    )
    assert "denied_roles: also allowed: editor" in message


def test_residency_in_restricted_region_refused() -> None:
    message = _error(PolicySpec(sensitivity="internal", residency="ru", restricted_regions=("RU",)))
    assert "residency:" in message


def test_retention_period_needed_unless_legal_hold() -> None:
    assert "retention_days: must be > 0" in _error(
        PolicySpec(sensitivity="internal", deletion_action="archive")
    )
    held = dom.check(PolicySpec(sensitivity="internal", deletion_action="archive", legal_hold=True))
    assert held.legal_hold and held.retention_days == 0
    assert dom.check(PolicySpec(sensitivity="public")).deletion_action == ""


def test_review_dates() -> None:
    created = date(2026, 1, 1)
    spec = dom.check(PolicySpec(sensitivity="internal", review_cycle_days=90))
    assert dom.next_review(spec, created) == date(2026, 4, 1)
    reviewed = dom.check(
        PolicySpec(sensitivity="internal", review_cycle_days=30, last_reviewed_on=date(2026, 3, 1))
    )
    assert dom.next_review(reviewed, created) == date(2026, 3, 31)
    assert dom.next_review(dom.check(PolicySpec(sensitivity="public")), created) is None
    assert dom.is_overdue(date(2026, 3, 31), date(2026, 4, 1))
    assert not dom.is_overdue(date(2026, 4, 1), date(2026, 4, 1))
    assert not dom.is_overdue(None, date(2026, 4, 1))


def test_merge_and_dates() -> None:
    base = dom.check(PolicySpec(sensitivity="internal", purposes=("analytics",)))
    merged = dom.merge(base, ["purposes"], PolicySpec(sensitivity="ignored", purposes=("ml",)))
    assert (merged.sensitivity, merged.purposes) == ("internal", ("ml",))
    assert dom.parse_date("last_reviewed_on", "2026-02-03") == date(2026, 2, 3)
    assert dom.parse_date("last_reviewed_on", "") is None
    with pytest.raises(InvalidArgument, match="last_reviewed_on: '03/02/2026'"):
        dom.parse_date("last_reviewed_on", "03/02/2026")
