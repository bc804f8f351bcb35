"""The Grafana dashboard and the Prometheus alert rules only use metrics our code exports,
and the rules are well-formed enough for Prometheus to load."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"
PACKAGES = ("dckit", "catalog_service", "gateway_service", "quality_service",
            "governance_service", "notifier_service", "scheduler_service")  # fmt: skip
METRIC = re.compile(r"\bdc_[a-z0-9_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def _import_all(package: str) -> None:
    try:
        root = importlib.import_module(package)
    except ModuleNotFoundError:
        return  # a service that does not exist yet exports nothing to check
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue  # alembic env scripts run on import; entrypoints do nothing new
        importlib.import_module(info.name)


@pytest.fixture(scope="module")
def exported() -> set[str]:
    for package in PACKAGES:
        _import_all(package)
    names: set[str] = set()
    for family in REGISTRY.collect():
        for suffix in SUFFIXES.get(family.type, ("",)):
            names.add(family.name + suffix)
    return names


def _rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((OBSERVABILITY / "prometheus-rules.yaml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    doc = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())
    return [t["expr"] for panel in doc["panels"] for t in panel.get("targets", [])]


def test_every_alert_metric_is_exported(exported: set[str]) -> None:
    used = {m for rule in _rules() for m in METRIC.findall(rule["expr"])}
    assert used, "no dc_ metrics in the alert rules?"
    assert sorted(used - exported) == []


def test_every_dashboard_metric_is_exported(exported: set[str]) -> None:
    used = {m for expr in _dashboard_exprs() for m in METRIC.findall(expr)}
    assert used
    assert sorted(used - exported) == []


def test_the_alerts_the_runbook_promises_exist() -> None:
    names = {rule["alert"] for rule in _rules()}
    assert {"DataCompassGrpcErrorRate", "DataCompassOutboxBacklog", "DataCompassConsumerLag"} <= (
        names
    )


def test_quality_metrics_are_watched() -> None:
    """DQ runs and open breaches are on the dashboard and behind an alert."""
    quality = {"dc_dq_run_duration_seconds", "dc_dq_breaches_open"}
    used = " ".join(_dashboard_exprs())
    alerts = " ".join(rule["expr"] for rule in _rules())
    for metric in quality:
        assert metric in used, metric
        assert metric in alerts, metric


def test_notifier_and_scheduler_metrics_are_watched() -> None:
    """Notification failures and scheduler run failures are on the dashboard and alerted on."""
    watched = {"dc_notifications_failed_total", "dc_scheduler_runs_total"}
    used = " ".join(_dashboard_exprs())
    alerts = " ".join(rule["expr"] for rule in _rules())
    for metric in watched:
        assert metric in used, metric
        assert metric in alerts, metric
    for metric in ("dc_notifications_sent_total", "dc_notification_delivery_seconds_bucket",
                   "dc_scheduler_lag_seconds_bucket"):  # fmt: skip
        assert metric in used, metric


@pytest.mark.parametrize("rule", _rules(), ids=lambda r: r["alert"])
def test_alert_rule_is_complete(rule: dict[str, Any]) -> None:
    assert re.fullmatch(r"\d+[smh]", rule["for"])
    assert rule["labels"]["severity"] in {"page", "warn", "info"}
    assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    assert rule["expr"].count("(") == rule["expr"].count(")")


def test_dashboard_panels_have_unique_ids_and_positions() -> None:
    doc = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())
    ids = [p["id"] for p in doc["panels"]]
    assert len(ids) == len(set(ids))
    spots = [(p["gridPos"]["x"], p["gridPos"]["y"]) for p in doc["panels"]]
    assert len(spots) == len(set(spots))
