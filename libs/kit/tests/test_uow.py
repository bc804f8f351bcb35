"""A unit of work writes the change, its audit record and its event atomically."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select

from datacompass.catalog.v1 import catalog_pb2
from datacompass.common.v1 import audit_pb2, events_pb2
from dckit import context, event_catalogue
from dckit.events import unpack
from dckit.outbox import Outbox
from dckit.uow import Entity, Event, Transactions, UnitOfWork

from .conftest import KitDb


def _tx(kit: KitDb) -> Transactions[UnitOfWork]:
    return Transactions(kit.db, Outbox(kit.outbox, "kittest"), UnitOfWork)


async def _outbox(kit: KitDb) -> list[events_pb2.EventEnvelope]:
    async with kit.db.session() as session:
        rows = await session.execute(select(kit.outbox.c.payload).order_by(kit.outbox.c.created_at))
        return [events_pb2.EventEnvelope.FromString(r.payload) for r in rows]


async def test_record_change_audits_the_diff_and_publishes_the_event(kit_db: KitDb) -> None:
    event = Event(event_catalogue.SCAN_COMPLETED, "urn:dcs:source:s", catalog_pb2.ScanFinished())
    with context.bound(context.RequestContext(actor="alice", request_id="r-1")):
        async with _tx(kit_db)() as uow:
            changes = await uow.record_change(
                "thing.update",
                Entity("thing", 7, "urn:dcs:thing:7"),
                {"name": "a", "size": 1, "same": True},
                {"name": "b", "size": 1, "same": True, "new": [1]},
                event=event,
            )
    assert changes == {"name": ("a", "b"), "new": (None, [1])}
    audit, published = await _outbox(kit_db)
    assert audit.type == "datacompass.audit.recorded"
    record = unpack(audit, audit_pb2.AuditRecord)
    assert isinstance(record, audit_pb2.AuditRecord)
    assert (record.actor, record.action, record.entity_type, record.entity_id) == (
        "alice", "thing.update", "thing", "7",
    )  # fmt: skip
    assert record.entity_urn == "urn:dcs:thing:7"
    assert record.request_id == "r-1"
    assert {c.field: (json.loads(c.old_json), json.loads(c.new_json)) for c in record.changes} == {
        "name": ("a", "b"),
        "new": (None, [1]),
    }
    assert published.type == "datacompass.catalog.scan.completed"
    assert published.subject == "urn:dcs:source:s"


async def test_a_failed_unit_of_work_leaves_nothing(kit_db: KitDb) -> None:
    with pytest.raises(RuntimeError):
        async with _tx(kit_db)() as uow:
            await uow.session.execute(insert(kit_db.items).values(event_id="x"))
            await uow.record_change("thing.create", Entity("thing", 1), None, {"name": "a"})
            raise RuntimeError("half-way")
    assert await _outbox(kit_db) == []
    async with kit_db.db.session() as session:
        assert (await session.execute(select(kit_db.items))).all() == []


async def test_an_unchanged_update_can_record_nothing(kit_db: KitDb) -> None:
    event = Event(event_catalogue.SCAN_COMPLETED, "urn:dcs:source:s", catalog_pb2.ScanFinished())
    async with _tx(kit_db)() as uow:
        same = {"name": "a"}
        assert (
            await uow.record_change(
                "thing.update", Entity("thing", 1), same, same, event=event, skip_unchanged=True
            )
            == {}
        )
        await uow.record_change("thing.touch", Entity("thing", 1), same, same)  # the default
    (audit,) = await _outbox(kit_db)
    record = unpack(audit, audit_pb2.AuditRecord)
    assert isinstance(record, audit_pb2.AuditRecord) and record.action == "thing.touch"


async def test_on_commit_runs_after_a_commit_that_wrote_to_the_outbox(kit_db: KitDb) -> None:
    commits: list[int] = []
    tx = Transactions(
        kit_db.db, Outbox(kit_db.outbox, "kittest"), UnitOfWork, on_commit=lambda: commits.append(1)
    )
    async with tx() as uow:
        await uow.record_change("thing.create", Entity("thing", 1), None, {"name": "a"})
    assert commits == [1]
    async with tx() as uow:  # a read: nothing for the relay
        await uow.session.execute(select(kit_db.items))
    assert commits == [1]
    with pytest.raises(RuntimeError):
        async with tx() as uow:
            await uow.record_change("thing.create", Entity("thing", 2), None, {"name": "b"})
            raise RuntimeError("rolled back")
    assert commits == [1]
