"""Retention of the event plumbing's own rows, so they do not grow without end: published
outbox rows, dead letters and consumers' processed-event (dedupe) rows older than their
retention are deleted by a worker beside the relay (`foundation()` wires it in every service).

A processed-event row is only needed while JetStream may still deliver its event: keep it a
little longer than the stream's `max_age` (the default does), never shorter."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy import Column, Table, delete, select, tuple_

from dckit.clock import Clock, utc_now
from dckit.db import Database

log = logging.getLogger(__name__)

PRUNED = Counter("dc_retention_pruned_total", "Rows deleted by retention", ["service", "table"])


@dataclass(frozen=True)
class Retention:
    """Rows of `table` whose `column` (a timestamp; NULL = never) is older than `keep`."""

    table: Table
    column: Column[Any]
    keep: timedelta


class Pruner:
    def __init__(
        self,
        db: Database,
        service: str,
        rules: Sequence[Retention],
        *,
        interval_seconds: float = 3600.0,
        batch_size: int = 5000,
        clock: Clock = utc_now,
    ) -> None:
        self.db, self.service, self.rules = db, service, [r for r in rules if r.keep > timedelta(0)]
        self.interval_seconds, self.batch_size, self.clock = interval_seconds, batch_size, clock

    async def prune_once(self) -> dict[str, int]:
        """Delete every expired row (in batches, so no transaction holds many locks);
        returns how many per table."""
        counts: dict[str, int] = {}
        for rule in self.rules:
            cutoff = self.clock() - rule.keep
            key = list(rule.table.primary_key.columns)  # may be composite
            total = 0
            while True:
                expired = (
                    select(*key)
                    .where(rule.column.is_not(None), rule.column < cutoff)
                    .limit(self.batch_size)
                )
                async with self.db.session() as session:
                    result = await session.execute(
                        delete(rule.table).where(tuple_(*key).in_(expired))
                    )
                done = int(result.rowcount or 0)  # type: ignore[attr-defined]
                total += done
                if done < self.batch_size:
                    break
            counts[rule.table.name] = total
            if total:
                PRUNED.labels(self.service, rule.table.name).inc(total)
                log.info(
                    "retention: deleted %d %s rows older than %s", total, rule.table.name, cutoff
                )
        return counts

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.prune_once()
            except Exception as exc:  # the database is down: try again next time
                log.warning("retention: %s; retrying in %.0fs", exc, self.interval_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_seconds)
