"""Outbox relay: publishes pending outbox rows to JetStream, oldest first.

`Nats-Msg-Id` = event id, so a crash between publish and commit cannot duplicate an event
(JetStream drops the repeat inside its duplicate window). Rows are claimed with
`FOR UPDATE SKIP LOCKED`, so relays in several replicas share the work without overlap.
NATS down = rows stay pending and the relay retries with backoff. A row that can never be
published (over NATS's max payload, undecodable) moves to the outbox's dead-letter table, with
an error log and `dc_outbox_dead_lettered_total`, and the rows after it keep flowing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from google.protobuf.message import DecodeError
from nats.errors import MaxPayloadError
from nats.js import JetStreamContext
from opentelemetry import propagate, trace
from prometheus_client import Counter, Gauge
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from datacompass.common.v1 import events_pb2
from dckit.bus import EventBus
from dckit.db import Database
from dckit.events import nats_subject
from dckit.outbox import dead_letter_for

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

PUBLISHED = Counter("dc_outbox_published_total", "Events relayed to NATS", ["service"])
PENDING = Gauge("dc_outbox_pending", "Outbox rows not yet published", ["service"])
FAILURES = Counter("dc_outbox_publish_failures_total", "Failed publish attempts", ["service"])
DEAD_LETTERED = Counter(
    "dc_outbox_dead_lettered_total",
    "Outbox rows that can never be published, moved to the dead-letter table",
    ["service"],
)
# Errors that publishing the same row again can never cure.
PERMANENT_ERRORS: tuple[type[Exception], ...] = (MaxPayloadError, DecodeError)
# Outbox lag: how long the oldest unpublished event has waited (0 when none waits).
OLDEST = Gauge(
    "dc_outbox_oldest_pending_seconds", "Age of the oldest unpublished event", ["service"]
)


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        table: Table,
        bus: EventBus,
        service: str,
        *,
        batch_size: int = 200,
        poll_interval: float = 0.2,
        publish_timeout: float = 2.0,
        max_backoff: float = 10.0,
    ) -> None:
        self.db, self.table, self.bus, self.service = db, table, bus, service
        self.dead_letter = dead_letter_for(table)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.publish_timeout = publish_timeout
        self.max_backoff = max_backoff
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Nudge the relay after a commit so events go out without waiting for the poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                published = await self.publish_pending()
                failures = 0
                if published == self.batch_size:
                    continue  # more waiting: keep draining
                delay = self.poll_interval
            except Exception as exc:  # NATS or DB down: keep rows, back off with jitter
                failures += 1
                FAILURES.labels(self.service).inc()
                delay = min(self.max_backoff, 0.2 * 2**failures) * random.uniform(0.5, 1.0)
                log.warning("outbox relay: %s; retrying in %.1fs", exc, delay)
            await _wait_any(stop, self._wake, delay)
            self._wake.clear()

    async def publish_pending(self) -> int:
        """Publish one batch; returns how many were published."""
        published_ids: list[str] = []
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(
                        self.table.c.id,
                        self.table.c.event_type,
                        self.table.c.payload,
                        self.table.c.created_at,
                        self.table.c.attempts,
                        (func.extract("epoch", func.now() - self.table.c.created_at)).label("age"),
                    )
                    .where(self.table.c.published_at.is_(None))
                    .order_by(self.table.c.created_at, self.table.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                PENDING.labels(self.service).set(0)
                OLDEST.labels(self.service).set(0)
                return 0
            OLDEST.labels(self.service).set(max(0.0, float(rows[0].age)))
            js = await self.bus.jetstream()
            error: Exception | None = None
            failed_id = ""
            for row in rows:
                try:
                    await self._publish(js, row)
                except PERMANENT_ERRORS as exc:
                    await self._bury(session, row, exc)
                    continue
                except Exception as exc:
                    error, failed_id = exc, row.id
                    break  # keep order: stop at the first failure
                published_ids.append(row.id)
            if published_ids:
                await session.execute(
                    update(self.table)
                    .where(self.table.c.id.in_(published_ids))
                    .values(published_at=func.now())
                )
            if error is not None:
                await session.execute(
                    update(self.table)
                    .where(self.table.c.id == failed_id)
                    .values(attempts=self.table.c.attempts + 1, last_error=str(error)[:500])
                )
        PUBLISHED.labels(self.service).inc(len(published_ids))
        if error is not None:
            raise error
        return len(published_ids)

    async def _publish(self, js: JetStreamContext, row: Any) -> None:
        envelope = events_pb2.EventEnvelope.FromString(row.payload)
        subject = nats_subject(row.event_type, self.bus.subject_prefix)
        # The publish span continues the trace of the request that wrote the event.
        with tracer.start_as_current_span(
            f"publish {row.event_type}",
            context=propagate.extract(_trace_carrier(envelope)),
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.system": "nats", "messaging.destination": subject},
        ):
            await js.publish(
                subject,
                row.payload,
                timeout=self.publish_timeout,
                headers=_headers(row.id, envelope),
            )

    async def _bury(self, session: AsyncSession, row: Any, exc: Exception) -> None:
        """Move `row` to the dead-letter table (same transaction as the batch)."""
        await session.execute(
            insert(self.dead_letter).values(
                id=row.id,
                event_type=row.event_type,
                payload=row.payload,
                created_at=row.created_at,
                attempts=row.attempts + 1,
                error=str(exc)[:500] or type(exc).__name__,
            )
        )
        await session.execute(delete(self.table).where(self.table.c.id == row.id))
        DEAD_LETTERED.labels(self.service).inc()
        log.error(
            "outbox relay: event %s (%s, %d bytes) can never be published (%s); moved to %s",
            row.id,
            row.event_type,
            len(row.payload),
            exc,
            self.dead_letter.name,
        )

    async def pending_count(self) -> int:
        async with self.db.session() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(self.table)
                .where(self.table.c.published_at.is_(None))
            )
        PENDING.labels(self.service).set(count or 0)
        return int(count or 0)


def _trace_carrier(envelope: events_pb2.EventEnvelope) -> dict[str, str]:
    carrier = {"traceparent": envelope.traceparent} if envelope.traceparent else {}
    if envelope.tracestate:
        carrier["tracestate"] = envelope.tracestate
    return carrier


def _headers(event_id: str, envelope: events_pb2.EventEnvelope) -> dict[str, str]:
    headers = {"Nats-Msg-Id": event_id, "Ce-Type": envelope.type}
    # Consumers continue from the publish span (the current one), falling back to the
    # writer's context when tracing is off.
    headers.update(_trace_carrier(envelope))
    propagate.inject(headers)
    return headers


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())}
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
