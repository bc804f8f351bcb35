"""The event catalogue is the one list of subjects: the outbox refuses anything else."""

from __future__ import annotations

import pytest
from google.protobuf import wrappers_pb2
from sqlalchemy import select

from datacompass.catalog.v1 import catalog_pb2
from dckit import event_catalogue
from dckit.event_catalogue import CATALOGUE, EventType
from dckit.outbox import Outbox

from .conftest import KitDb


def test_catalogue_names_are_unique_and_well_formed() -> None:
    names = [e.name for e in CATALOGUE]
    assert len(names) == len(set(names))
    assert all(n.startswith("datacompass.") for n in names)
    assert event_catalogue.get("datacompass.catalog.scan.completed").payloads == (
        catalog_pb2.ScanFinished,
    )
    assert {e.service for e in event_catalogue.published_by("quality")} == {"quality"}


def test_bad_event_types_are_refused() -> None:
    with pytest.raises(ValueError, match=r"not in dckit\.event_catalogue"):
        event_catalogue.get("datacompass.catalog.scan.exploded")
    with pytest.raises(ValueError, match="<service>"):
        EventType("catalog.scan.completed", (wrappers_pb2.StringValue,), "s", "x")
    with pytest.raises(ValueError, match="no payload"):
        EventType("datacompass.catalog.scan.completed", (), "s", "x")


async def test_outbox_refuses_uncatalogued_events_and_wrong_payloads(kit_db: KitDb) -> None:
    outbox = Outbox(kit_db.outbox, "kittest")
    with pytest.raises(ValueError, match=r"not in dckit\.event_catalogue"):
        async with kit_db.db.session() as session:
            await outbox.publish(
                session, "datacompass.catalog.thing.happened", "s", catalog_pb2.ScanFinished()
            )
    with pytest.raises(TypeError, match="ScanFinished"):
        async with kit_db.db.session() as session:
            await outbox.publish(
                session, event_catalogue.SCAN_COMPLETED, "s", wrappers_pb2.StringValue()
            )
    async with kit_db.db.session() as session:
        await outbox.publish(
            session,
            "datacompass.catalog.scan.completed",
            "urn:dcs:source:x",
            catalog_pb2.ScanFinished(),
        )
        stored = (await session.execute(select(kit_db.outbox.c.event_type))).scalars().all()
    assert stored == ["datacompass.catalog.scan.completed"]
