"""Prometheus metrics of the scheduler service."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Histogram

from scheduler_service.domain.runs import CRON, ScheduleRun

RUNS = Counter(
    "dc_scheduler_runs_total",
    "Schedule runs by task type and final status",
    ["task_type", "status"],
)
LAG = Histogram(
    "dc_scheduler_lag_seconds",
    "Delay between a cron run's scheduled time and its dispatch",
    ["task_type"],
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
)


def observe_fired(run: ScheduleRun, started_at: datetime) -> None:
    if run.trigger == CRON:  # a manual run has no schedule to be late for
        lag = (started_at - run.scheduled_for).total_seconds()
        LAG.labels(run.task_type).observe(max(0.0, lag))


def observe_finished(run: ScheduleRun) -> None:
    RUNS.labels(run.task_type, run.status.value).inc()
