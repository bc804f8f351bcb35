"""Durable, idempotent JetStream consumer.

Each message is handled inside one database transaction that also records its event id in
the consumer's `processed_events` table; a redelivered event finds its id there and is
acknowledged without running the handler again. Ack happens only after commit, so a crash
mid-handler means redelivery, never loss. A failing handler gets the event again without limit
(`max_deliver` -1) after a backoff doubling to `retry_max_seconds`: an outage of the handler's
dependencies delays records, it never drops them (`dc_consumer_events_total{outcome="error"}`
and the DataCompassConsumerFailing alert show it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from opentelemetry import propagate, trace
from prometheus_client import Counter, Gauge
from sqlalchemy import Column, DateTime, MetaData, String, Table, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datacompass.common.v1 import events_pb2
from dckit import context
from dckit.bus import EventBus
from dckit.db import Database
from dckit.events import nats_subject

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[AsyncSession, events_pb2.EventEnvelope], Awaitable[None]]

HANDLED = Counter("dc_consumer_events_total", "Events handled", ["consumer", "outcome"])
# Consumer lag: messages in the stream this durable consumer has not been delivered yet.
PENDING = Gauge("dc_consumer_pending_messages", "Messages waiting for the consumer", ["consumer"])


PROCESSED_EVENTS = "processed_events"


def processed_events_table(metadata: MetaData) -> Table:
    return Table(
        PROCESSED_EVENTS,
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class IdempotentConsumer:
    def __init__(
        self,
        bus: EventBus,
        db: Database,
        processed: Table,
        *,
        durable: str,
        event_type: str,
        handler: Handler,
        batch_size: int = 20,
        ack_wait: float = 30.0,
        max_deliver: int = -1,
        retry_base_seconds: float = 0.5,
        retry_max_seconds: float = 30.0,
    ) -> None:
        self.bus, self.db, self.processed = bus, db, processed
        self.durable = durable
        self.event_type = event_type  # may end in a wildcard: "datacompass.catalog.>"
        self.handler = handler
        self.batch_size = batch_size
        self.ack_wait = ack_wait
        self.max_deliver = max_deliver  # -1: unlimited
        self.retry_base_seconds = retry_base_seconds
        self.retry_max_seconds = retry_max_seconds
        self.idle = asyncio.Event()  # set whenever no message is in flight (for draining)
        self.idle.set()

    async def run(self, stop: asyncio.Event) -> None:
        subscription = None
        while not stop.is_set():
            try:
                if subscription is None:
                    js = await self.bus.jetstream()
                    subject = nats_subject(self.event_type, self.bus.subject_prefix)
                    config = ConsumerConfig(
                        ack_policy=AckPolicy.EXPLICIT,
                        deliver_policy=DeliverPolicy.ALL,
                        ack_wait=self.ack_wait,
                        max_deliver=self.max_deliver,
                    )
                    await self._update_existing(js, subject, config)
                    subscription = await js.pull_subscribe(
                        subject, durable=self.durable, stream=self.bus.stream, config=config
                    )
                try:
                    messages = await subscription.fetch(self.batch_size, timeout=1.0)
                except NatsTimeout:
                    PENDING.labels(self.durable).set(0)  # nothing delivered within 1 s: caught up
                    continue
                for msg in messages:
                    if stop.is_set():
                        break  # unacked: redelivered to another replica after ack_wait
                    await self.handle(msg)
                    with contextlib.suppress(Exception):  # metadata is absent on non-JS messages
                        PENDING.labels(self.durable).set(msg.metadata.num_pending)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s: %s; retrying", self.durable, exc)
                if subscription is not None:
                    with contextlib.suppress(Exception):
                        await subscription.unsubscribe()
                subscription = None
                await asyncio.sleep(1.0)
        # Fix: the pull subscription used to stay registered after `stop`, so EventBus.close()
        # (nc.drain()) waited for it until nats-py's 30 s drain timeout.
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _update_existing(
        self, js: JetStreamContext, subject: str, config: ConsumerConfig
    ) -> None:
        """pull_subscribe keeps an existing durable as it is: one created with other limits
        (the former max_deliver=20, which dropped events) is updated in place."""
        try:
            info = await js.consumer_info(self.bus.stream, self.durable)
        except NotFoundError:
            return  # pull_subscribe creates it
        current = info.config
        if current.max_deliver == config.max_deliver and current.ack_wait == config.ack_wait:
            return
        updated = ConsumerConfig(
            durable_name=self.durable,
            name=self.durable,
            filter_subject=current.filter_subject or subject,
            ack_policy=config.ack_policy,
            deliver_policy=current.deliver_policy,
            ack_wait=config.ack_wait,
            max_deliver=config.max_deliver,
        )
        await js.add_consumer(self.bus.stream, config=updated)
        log.info(
            "consumer %s: max_deliver %s -> %s",
            self.durable,
            current.max_deliver,
            config.max_deliver,
        )

    def retry_delay(self, attempt: int) -> float:
        """Seconds before delivery `attempt` + 1 of a failed event."""
        return min(self.retry_max_seconds, self.retry_base_seconds * 2 ** min(attempt - 1, 30))

    async def handle(self, msg: Msg) -> None:
        self.idle.clear()
        try:
            envelope = events_pb2.EventEnvelope.FromString(msg.data)
        except Exception:
            log.error(
                "consumer %s: undecodable message on %s; terminating it", self.durable, msg.subject
            )
            HANDLED.labels(self.durable, "undecodable").inc()
            await msg.term()
            self.idle.set()
            return
        parent = propagate.extract(dict(msg.headers or {}))
        ctx = context.RequestContext(request_id=envelope.request_id, actor=envelope.actor)
        try:
            with (
                tracer.start_as_current_span(f"consume {envelope.type}", context=parent),
                context.bound(ctx),
            ):
                async with self.db.session() as session:
                    inserted = await session.execute(
                        insert(self.processed)
                        .values(consumer=self.durable, event_id=envelope.id)
                        .on_conflict_do_nothing()
                        .returning(self.processed.c.event_id)
                    )
                    if inserted.first() is None:
                        HANDLED.labels(self.durable, "duplicate").inc()
                    else:
                        await self.handler(session, envelope)
                        HANDLED.labels(self.durable, "ok").inc()
            await msg.ack()
        except Exception:
            HANDLED.labels(self.durable, "error").inc()
            log.exception("consumer %s failed on event %s", self.durable, envelope.id)
            attempt = msg.metadata.num_delivered if msg.metadata else 1
            await msg.nak(delay=self.retry_delay(attempt))
        finally:
            self.idle.set()
