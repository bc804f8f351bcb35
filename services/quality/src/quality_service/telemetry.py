"""Prometheus metrics of the quality service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from prometheus_client import Gauge, Histogram

from quality_service.domain.dq_breaches import PRIORITIES

log = logging.getLogger(__name__)

RUN_SECONDS = Histogram(
    "dc_dq_run_duration_seconds",
    "Duration of DQ runs and backfills, by final status",
    ["status"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
)
BREACHES_OPEN = Gauge(
    "dc_dq_breaches_open", "Open or acknowledged DQ breaches, by priority", ["priority"]
)


def observe_run(run: Mapping[str, Any], seconds: float) -> None:
    RUN_SECONDS.labels(run["status"]).observe(seconds)


def breach_gauge_worker(
    open_by_priority: Callable[[], Awaitable[Mapping[str, int]]], every: float = 15.0
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                counts = await open_by_priority()
                for priority in PRIORITIES:
                    BREACHES_OPEN.labels(priority).set(counts.get(priority, 0))
            except Exception:  # a database hiccup must not kill the worker
                log.exception("refreshing the open-breach gauge failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    return run
