from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import nats
import pytest
from google.protobuf import wrappers_pb2
from nats.aio.msg import Msg
from prometheus_client import REGISTRY
from sqlalchemy import func, select, update

from datacompass.common.v1 import events_pb2
from dckit import context
from dckit.bus import EventBus
from dckit.event_catalogue import EventType
from dckit.events import unpack
from dckit.outbox import Outbox, diff
from dckit.relay import OutboxRelay
from devstack.embedded import EmbeddedNats, free_port
from devstack.testing import starts_stack

from .conftest import KitDb

# A test-only event type (not in the catalogue: the outbox takes any EventType object).
EVENT = EventType(
    "datacompass.kittest.item.created", (wrappers_pb2.StringValue,), "item/<n>", "kit tests"
)
Wait = Callable[..., Awaitable[None]]


async def _write_events(kit: KitDb, n: int, start: int = 0) -> list[str]:
    outbox = Outbox(kit.outbox, "kittest")
    async with kit.db.session() as session:
        return [
            await outbox.publish(
                session, EVENT, f"item/{i}", wrappers_pb2.StringValue(value=f"v{i}")
            )
            for i in range(start, start + n)
        ]


async def _fetch_all(nats_url: str, stream: str, prefix: str, expect: int) -> list[Msg]:
    """Every message in the stream (an ephemeral consumer); fails if more than `expect`."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        assert info.state.messages == expect
        if expect == 0:
            return []
        sub = await js.pull_subscribe(f"{prefix}.>", stream=stream)
        messages: list[Msg] = []
        while len(messages) < expect:
            messages += await sub.fetch(expect - len(messages), timeout=5)
        for msg in messages:
            await msg.ack()
        return messages
    finally:
        await nc.close()


async def _published(kit: KitDb) -> list[str]:
    async with kit.db.session() as session:
        rows = await session.execute(
            select(kit.outbox.c.id).where(kit.outbox.c.published_at.is_not(None))
        )
        return [r.id for r in rows]


async def test_committed_events_are_published_with_msg_id(
    kit_db: KitDb, bus: EventBus, nats_url: str, nats_stream: str, event_subject_prefix: str
) -> None:
    with context.bound(context.RequestContext(request_id="req-9", actor="alice")):
        ids = await _write_events(kit_db, 3)
    relay = OutboxRelay(kit_db.db, kit_db.outbox, bus, "kittest")
    assert await relay.pending_count() == 3
    assert await relay.publish_pending() == 3
    assert await relay.pending_count() == 0
    assert await relay.publish_pending() == 0

    messages = await _fetch_all(nats_url, nats_stream, event_subject_prefix, 3)
    assert [m.subject for m in messages] == [f"{event_subject_prefix}.kittest.item.created"] * 3
    envelopes = [events_pb2.EventEnvelope.FromString(m.data) for m in messages]
    # Oldest first, Nats-Msg-Id = event id.
    assert [e.id for e in envelopes] == ids
    assert [m.headers and m.headers["Nats-Msg-Id"] for m in messages] == ids
    assert all(m.headers and m.headers["Ce-Type"] == EVENT.name for m in messages)
    first = envelopes[0]
    assert first.type == EVENT.name
    assert first.source == "/datacompass/kittest"
    assert first.actor == "alice"
    assert first.request_id == "req-9"
    assert first.subject == "item/0"
    assert unpack(first, wrappers_pb2.StringValue).value == "v0"  # type: ignore[attr-defined]


async def test_rolled_back_transaction_publishes_nothing(
    kit_db: KitDb, bus: EventBus, nats_url: str, nats_stream: str, event_subject_prefix: str
) -> None:
    outbox = Outbox(kit_db.outbox, "kittest")
    with pytest.raises(RuntimeError):
        async with kit_db.db.session() as session:
            await outbox.publish(session, EVENT, "item/x", wrappers_pb2.StringValue(value="x"))
            raise RuntimeError("use case failed after writing its event")
    relay = OutboxRelay(kit_db.db, kit_db.outbox, bus, "kittest")
    assert await relay.pending_count() == 0
    assert await relay.publish_pending() == 0
    kept = await _write_events(kit_db, 1)
    assert await relay.publish_pending() == 1
    messages = await _fetch_all(nats_url, nats_stream, event_subject_prefix, 1)
    assert messages[0].headers and messages[0].headers["Nats-Msg-Id"] == kept[0]


async def test_republish_after_lost_commit_is_deduplicated(
    kit_db: KitDb, bus: EventBus, nats_url: str, nats_stream: str, event_subject_prefix: str
) -> None:
    ids = await _write_events(kit_db, 2)
    relay = OutboxRelay(kit_db.db, kit_db.outbox, bus, "kittest")
    assert await relay.publish_pending() == 2
    # A relay crashing after publish but before its commit leaves the rows pending.
    async with kit_db.db.session() as session:
        await session.execute(update(kit_db.outbox).values(published_at=None))
    assert await relay.publish_pending() == 2
    messages = await _fetch_all(nats_url, nats_stream, event_subject_prefix, 2)
    assert sorted(m.headers["Nats-Msg-Id"] for m in messages if m.headers) == sorted(ids)

    # And directly: JetStream drops a repeated Nats-Msg-Id.
    js = await bus.jetstream()
    subject = f"{event_subject_prefix}.kittest.item.created"
    ack1 = await js.publish(subject, b"x", headers={"Nats-Msg-Id": "dup-1"})
    ack2 = await js.publish(subject, b"x", headers={"Nats-Msg-Id": "dup-1"})
    assert not ack1.duplicate
    assert ack2.duplicate
    assert ack1.seq == ack2.seq
    assert (await js.stream_info(nats_stream)).state.messages == 3


def test_diff() -> None:
    assert diff({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5, "d": 4}) == {
        "b": (2, 5),
        "c": (3, None),
        "d": (None, 4),
    }


async def test_audit_record_carries_request_context(
    kit_db: KitDb, bus: EventBus, nats_url: str, nats_stream: str, event_subject_prefix: str
) -> None:
    from datacompass.common.v1 import audit_pb2

    outbox = Outbox(kit_db.outbox, "kittest")
    ctx = context.RequestContext(request_id="r-a", actor="bob", client_ip="1.2.3.4")
    with context.bound(ctx):
        async with kit_db.db.session() as session:
            await outbox.audit(
                session,
                action="update",
                entity_type="source",
                entity_id=7,
                entity_urn="urn:dc:source:7",
                changes={"name": ("a", "b")},
            )
    relay = OutboxRelay(kit_db.db, kit_db.outbox, bus, "kittest")
    assert await relay.publish_pending() == 1
    (msg,) = await _fetch_all(nats_url, nats_stream, event_subject_prefix, 1)
    assert msg.subject == f"{event_subject_prefix}.audit.recorded"
    record = unpack(events_pb2.EventEnvelope.FromString(msg.data), audit_pb2.AuditRecord)
    assert record.actor == "bob"  # type: ignore[attr-defined]
    assert record.request_id == "r-a"  # type: ignore[attr-defined]
    assert record.client_ip == "1.2.3.4"  # type: ignore[attr-defined]
    assert record.entity_id == "7"  # type: ignore[attr-defined]
    change = record.changes[0]  # type: ignore[attr-defined]
    assert (change.field, change.old_json, change.new_json) == ("name", '"a"', '"b"')


@pytest.fixture
@starts_stack
async def own_nats(tmp_path: Path) -> AsyncIterator[EmbeddedNats]:
    """A nats-server of this test's own (not started yet), so the test can stop and restart it."""
    server = EmbeddedNats(tmp_path / "own-nats", port=free_port())
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def test_relay_survives_nats_outages_and_publishes_exactly_once(
    kit_db: KitDb, own_nats: EmbeddedNats, wait_until: Wait
) -> None:
    prefix, stream = "dcown", "DCOWN"
    bus = EventBus(own_nats.url, stream, prefix, "kit-test")
    await bus.connect()  # NATS is down: connecting continues in the background
    assert not bus.connected
    relay = OutboxRelay(
        kit_db.db, kit_db.outbox, bus, "kittest", poll_interval=0.05, publish_timeout=0.5
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        ids = await _write_events(kit_db, 5)
        relay.wake()
        await asyncio.sleep(1.0)
        assert await relay.pending_count() == 5  # rows wait in the outbox
        assert not task.done()

        await asyncio.to_thread(own_nats.start)

        async def drained() -> bool:
            return await relay.pending_count() == 0

        await wait_until(drained, within=20, interval=0.1, nudge=relay.wake)
        assert sorted(await _published(kit_db)) == sorted(ids)

        # Outage while connected: NATS stops, events are written, NATS comes back (same
        # port and store). The client's buffered publishes plus the relay's retries must
        # still leave each event in the stream exactly once.
        await asyncio.to_thread(own_nats.stop)
        more = await _write_events(kit_db, 3, start=5)
        relay.wake()
        await asyncio.sleep(1.5)
        assert await relay.pending_count() > 0
        await asyncio.to_thread(own_nats.start)
        await wait_until(drained, within=20, interval=0.1, nudge=relay.wake)
        assert sorted(await _published(kit_db)) == sorted(ids + more)

        messages = await _fetch_all(own_nats.url, stream, prefix, 8)
        got = [m.headers["Nats-Msg-Id"] for m in messages if m.headers]
        assert sorted(got) == sorted(ids + more)
        async with kit_db.db.session() as session:
            failed = await session.scalar(
                select(func.count()).select_from(kit_db.outbox).where(kit_db.outbox.c.attempts > 0)
            )
        assert failed and failed >= 1  # the outage was seen and recorded on a row
    finally:
        stop.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(task, 5)
        await bus.close()


async def test_outbox_lag_gauge_reports_the_oldest_waiting_event(
    kit_db: KitDb, bus: EventBus
) -> None:
    service = "kittest-lag"
    await _write_events(kit_db, 2)
    async with kit_db.db.session() as session:  # pretend the events waited 90 s
        await session.execute(
            update(kit_db.outbox).values(
                created_at=func.now() - func.make_interval(0, 0, 0, 0, 0, 0, 90)
            )
        )
    relay = OutboxRelay(kit_db.db, kit_db.outbox, bus, service, batch_size=1)
    assert await relay.publish_pending() == 1
    lag = REGISTRY.get_sample_value("dc_outbox_oldest_pending_seconds", {"service": service})
    assert lag is not None and 90 <= lag < 120
    assert await relay.publish_pending() == 1
    assert await relay.publish_pending() == 0
    assert REGISTRY.get_sample_value("dc_outbox_oldest_pending_seconds", {"service": service}) == 0


async def _poison(kit: KitDb, size: int) -> str:
    """An outbox row over NATS's max payload, as rows written before the write-time check
    (or under a larger limit) can be: the outbox itself refuses to write one now."""
    from dckit.events import make_envelope

    envelope = make_envelope(
        EVENT.name, "/datacompass/kittest", "item/big", wrappers_pb2.StringValue(value="x" * size)
    )
    async with kit.db.session() as session:
        await session.execute(
            kit.outbox.insert().values(
                id=envelope.id,
                event_type=EVENT.name,
                payload=envelope.SerializeToString(),
                created_at=func.clock_timestamp(),
            )
        )
    return envelope.id


async def test_a_row_over_the_max_payload_is_dead_lettered_and_later_events_flow(
    kit_db: KitDb,
    bus: EventBus,
    nats_url: str,
    nats_stream: str,
    event_subject_prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Regression (issue 20): the relay retried an over-sized event forever and every later
    event stayed unpublished."""
    service = "kittest-dead"
    before = await _write_events(kit_db, 1)
    poisoned = await _poison(kit_db, 2 * bus.client.max_payload)
    after = await _write_events(kit_db, 2, start=1)
    relay = OutboxRelay(kit_db.db, kit_db.outbox, bus, service)
    with caplog.at_level("ERROR", logger="dckit.relay"):
        assert await relay.publish_pending() == 3
    assert await relay.pending_count() == 0
    assert await relay.publish_pending() == 0

    messages = await _fetch_all(nats_url, nats_stream, event_subject_prefix, 3)
    assert [m.headers and m.headers["Nats-Msg-Id"] for m in messages] == before + after
    dead = kit_db.outbox.metadata.tables["outbox_dead_letter"]
    async with kit_db.db.session() as session:
        rows = (await session.execute(select(dead))).mappings().all()
        left = await session.scalar(
            select(func.count()).select_from(kit_db.outbox).where(kit_db.outbox.c.id == poisoned)
        )
    assert [r["id"] for r in rows] == [poisoned]
    assert "maximum payload" in rows[0]["error"]
    assert rows[0]["event_type"] == EVENT.name and len(rows[0]["payload"]) > 2 * 1024 * 1024
    assert left == 0  # moved, not copied
    assert REGISTRY.get_sample_value("dc_outbox_dead_lettered_total", {"service": service}) == 1
    assert any(poisoned in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


async def test_the_outbox_refuses_an_event_over_the_size_limit_naming_the_field(
    kit_db: KitDb,
) -> None:
    from dckit.errors import InvalidArgument

    outbox = Outbox(kit_db.outbox, "kittest", max_event_bytes=10_000)
    with pytest.raises(InvalidArgument, match=r"value.*too large") as info:
        async with kit_db.db.session() as session:
            await outbox.publish(
                session, EVENT, "item/1", wrappers_pb2.StringValue(value="x" * 20_000)
            )
    assert "10000" in info.value.message
    # An audit record names the changed field, not the record's internals.
    with pytest.raises(InvalidArgument, match=r"'description'"):
        async with kit_db.db.session() as session:
            await outbox.audit(
                session,
                action="update",
                entity_type="object",
                entity_id=1,
                changes={"description": ("", "y" * 20_000), "tags": ([], ["a"])},
            )
    async with kit_db.db.session() as session:
        count = await session.scalar(select(func.count()).select_from(kit_db.outbox))
    assert count == 0  # nothing half-written
