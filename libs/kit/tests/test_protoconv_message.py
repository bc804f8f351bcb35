"""Records ↔ messages by field name: what each field kind takes and gives back."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.common.v1 import refs_pb2
from dckit.protoconv import enum_name, enum_value, fields, message

WHEN = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def test_message_fills_fields_by_name_and_converts_by_kind() -> None:
    row = {
        "id": 7,
        "name": "shop",
        "source_type": "postgres",
        "connection_encrypted": b"secret",  # not a field: ignored, never copied
        "connection_keys": ["host", "password"],
        "created_at": WHEN,
        "updated_at": None,  # None leaves the field unset
        "last_scan": {"id": 3, "status": "succeeded", "error": None},
    }
    msg = message(pb.Source, row, description="overridden")
    assert (msg.id, msg.name, msg.description) == (7, "shop", "overridden")
    assert list(msg.connection_keys) == ["host", "password"]
    assert msg.created_at.ToDatetime(tzinfo=UTC) == WHEN and not msg.HasField("updated_at")
    assert msg.last_scan.status == pb.SCAN_STATUS_SUCCEEDED and msg.last_scan.error == ""


def test_message_structs_dates_repeated_messages_and_presence() -> None:
    obj = message(
        pb.CatalogObject,
        {"source_metadata": {"comment": "c", "n": 2}, "size_bytes": 0, "row_estimate": None},
        columns=[{"name": "id", "ordinal": 1}, pb.Column(name="b", ordinal=2)],
    )
    assert obj.source_metadata["comment"] == "c"
    assert [c.name for c in obj.columns] == ["id", "b"]
    assert obj.HasField("size_bytes") and obj.size_bytes == 0  # 0 is a value, not "unset"
    assert not obj.HasField("row_estimate")
    dep = message(pb.Deprecation, {"deadline": date(2031, 4, 9)})
    assert dep.deadline == "2031-04-09"


def test_enums_by_name() -> None:
    enum = pb.ScanStatus.DESCRIPTOR
    assert enum_value(enum, "cancelled") == pb.SCAN_STATUS_CANCELLED
    assert enum_value(enum, "") == pb.SCAN_STATUS_UNSPECIFIED
    assert enum_name(enum, pb.SCAN_STATUS_RUNNING) == "running"
    assert enum_name(enum, 99) == "99"  # unknown to this build: left for validation to refuse
    with pytest.raises(ValueError, match="no value 'paused'"):
        enum_value(enum, "paused")


def test_fields_reads_a_request_back_into_plain_values() -> None:
    ref = refs_pb2.ObjectRef(qualified_name="shop.sales.orders")
    got = fields(
        pb.AddConstraintRequest(ref=ref, constraint_type="unique", columns=["a", "b"]),
        exclude={"name"},
    )
    assert got["ref"] == ref and got["constraint_type"] == "unique"
    assert got["columns"] == ["a", "b"] and "name" not in got
    assert fields(pb.ListScansRequest())["page"] is None  # an unset message reads as None
    run = fields(pb.ScanRun(status=pb.SCAN_STATUS_UNSPECIFIED, started_at=None))
    assert run["status"] == "" and run["started_at"] is None
