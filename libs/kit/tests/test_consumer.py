from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from google.protobuf import wrappers_pb2
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from datacompass.common.v1 import events_pb2
from dckit import context
from dckit.bus import EventBus
from dckit.consumer import IdempotentConsumer
from dckit.event_catalogue import EventType
from dckit.events import make_envelope, nats_subject

from .conftest import KitDb

# A test-only event type (not in the catalogue: the outbox takes any EventType object).
EVENT = EventType(
    "datacompass.kittest.item.created", (wrappers_pb2.StringValue,), "item/<n>", "kit tests"
)
Wait = Callable[..., Awaitable[None]]


def _envelope(value: str) -> events_pb2.EventEnvelope:
    with context.bound(context.RequestContext(request_id=f"req-{value}", actor="carol")):
        return make_envelope(
            EVENT.name, "/datacompass/kittest", value, wrappers_pb2.StringValue(value=value)
        )


async def _publish(bus: EventBus, envelope: events_pb2.EventEnvelope, msg_id: str) -> None:
    js = await bus.jetstream()
    ack = await js.publish(
        nats_subject(envelope.type, bus.subject_prefix),
        envelope.SerializeToString(),
        headers={"Nats-Msg-Id": msg_id},
    )
    assert not ack.duplicate


async def _count(kit: KitDb, table_name: str) -> int:
    table = kit.processed if table_name == "processed" else kit.items
    async with kit.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


class Recorder:
    """Handler that writes an `items` row in the consumer's transaction, then may fail."""

    def __init__(self, kit: KitDb, fail_times: int = 0) -> None:
        self.kit = kit
        self.fail_times = fail_times
        self.calls: list[str] = []
        self.contexts: list[context.RequestContext] = []

    async def __call__(self, session: AsyncSession, envelope: events_pb2.EventEnvelope) -> None:
        self.calls.append(envelope.id)
        self.contexts.append(context.current())
        await session.execute(insert(self.kit.items).values(event_id=envelope.id))
        if self.calls.count(envelope.id) <= self.fail_times:
            raise RuntimeError("handler failed")


@pytest.fixture
async def run_consumer(
    kit_db: KitDb, bus: EventBus
) -> AsyncIterator[Callable[[Recorder], IdempotentConsumer]]:
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    def start(handler: Recorder) -> IdempotentConsumer:
        consumer = IdempotentConsumer(
            bus,
            kit_db.db,
            kit_db.processed,
            durable="kittest",
            event_type="datacompass.kittest.>",
            handler=handler,
        )
        tasks.append(asyncio.create_task(consumer.run(stop)))
        return consumer

    try:
        yield start
    finally:
        stop.set()
        for task in tasks:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(task, 5)


async def _all_acked(bus: EventBus) -> bool:
    js = await bus.jetstream()
    info = await js.consumer_info(bus.stream, "kittest")
    return info.num_pending == 0 and info.num_ack_pending == 0


async def test_redelivered_event_is_processed_once(
    kit_db: KitDb,
    bus: EventBus,
    run_consumer: Callable[[Recorder], IdempotentConsumer],
    wait_until: Wait,
) -> None:
    handler = Recorder(kit_db)
    first, second = _envelope("a"), _envelope("b")
    # The same event twice under different message ids (JetStream cannot dedupe it) ...
    await _publish(bus, first, "m1")
    await _publish(bus, first, "m2")
    await _publish(bus, second, "m3")
    run_consumer(handler)

    async def done() -> bool:
        return len(handler.calls) >= 2 and await _all_acked(bus)

    await wait_until(done)
    await asyncio.sleep(0.3)
    # ... reaches the handler once.
    assert sorted(handler.calls) == sorted([first.id, second.id])
    assert await _count(kit_db, "processed") == 2
    assert await _count(kit_db, "items") == 2
    assert handler.contexts[0].request_id == "req-a"
    assert handler.contexts[0].actor == "carol"


async def test_handler_failure_is_redelivered_and_rolled_back(
    kit_db: KitDb,
    bus: EventBus,
    run_consumer: Callable[[Recorder], IdempotentConsumer],
    wait_until: Wait,
) -> None:
    handler = Recorder(kit_db, fail_times=1)
    event = _envelope("x")
    await _publish(bus, event, event.id)
    run_consumer(handler)

    async def failed_once() -> bool:
        return len(handler.calls) >= 1

    await wait_until(failed_once)
    # The failed attempt left nothing: neither its own write nor the processed marker. (Read
    # without waiting: counts read before the redelivery began must be zero, whenever that is.)
    counts = (await _count(kit_db, "processed"), await _count(kit_db, "items"))
    if len(handler.calls) == 1:
        assert counts == (0, 0)

    async def succeeded() -> bool:
        return len(handler.calls) >= 2 and await _all_acked(bus)

    await wait_until(succeeded, within=15)
    assert handler.calls == [event.id, event.id]
    assert await _count(kit_db, "processed") == 1
    assert await _count(kit_db, "items") == 1


async def test_undecodable_message_is_terminated_and_consumer_continues(
    kit_db: KitDb,
    bus: EventBus,
    run_consumer: Callable[[Recorder], IdempotentConsumer],
    wait_until: Wait,
) -> None:
    handler = Recorder(kit_db)
    js = await bus.jetstream()
    await js.publish(f"{bus.subject_prefix}.kittest.item.created", b"\xff\xff not protobuf")
    event = _envelope("ok")
    await _publish(bus, event, event.id)
    run_consumer(handler)

    async def done() -> bool:
        return len(handler.calls) >= 1 and await _all_acked(bus)

    await wait_until(done)
    assert handler.calls == [event.id]


async def test_a_long_failing_handler_gets_the_event_in_the_end(
    kit_db: KitDb, bus: EventBus, wait_until: Wait
) -> None:
    """Regression (issue 20): max_deliver=20 dropped an event after ~8 minutes of a failing
    handler ("a delayed record, not a lost one"). Deliveries are now unlimited, with a capped
    backoff (tiny here, to drive a long outage quickly); a durable made with the old limit is
    updated."""
    from nats.js.api import AckPolicy, ConsumerConfig

    js = await bus.jetstream()
    await js.add_consumer(  # as the old code created it
        bus.stream,
        ConsumerConfig(
            durable_name="kittest",
            filter_subject=nats_subject("datacompass.kittest.>", bus.subject_prefix),
            ack_policy=AckPolicy.EXPLICIT,
            max_deliver=20,
        ),
    )
    handler = Recorder(kit_db, fail_times=30)
    event = _envelope("outage")
    await _publish(bus, event, event.id)
    stop = asyncio.Event()
    consumer = IdempotentConsumer(
        bus,
        kit_db.db,
        kit_db.processed,
        durable="kittest",
        event_type="datacompass.kittest.>",
        handler=handler,
        retry_base_seconds=0.01,
        retry_max_seconds=0.05,
    )
    task = asyncio.create_task(consumer.run(stop))
    try:

        async def handled() -> bool:
            return await _count(kit_db, "processed") == 1 and await _all_acked(bus)

        await wait_until(handled, within=60, interval=0.1)
        assert handler.calls == [event.id] * 31
        info = await js.consumer_info(bus.stream, "kittest")
        assert info.config.max_deliver == -1
    finally:
        stop.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(task, 5)
