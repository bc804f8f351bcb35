"""Prometheus metrics of the quality service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from prometheus_client import Gauge, Histogram

from dckit.db import Database
from quality_service.db.repository import QualityRepository, Row
from quality_service.domain.breaches import PRIORITIES

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


def observe_run(run: Row, seconds: float) -> None:
    RUN_SECONDS.labels(run["status"]).observe(seconds)


async def refresh_open_breaches(db: Database) -> None:
    async with db.session() as session:
        counts = await QualityRepository(session).open_breaches()
    for priority in PRIORITIES:
        BREACHES_OPEN.labels(priority).set(counts.get(priority, 0))


def breach_gauge_worker(
    db: Database, every: float = 15.0
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await refresh_open_breaches(db)
            except Exception:  # a database hiccup must not kill the worker
                log.exception("refreshing the open-breach gauge failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    return run
