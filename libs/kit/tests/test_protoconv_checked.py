"""Messages built by field name, enum words both ways, and FieldMask partial updates."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from google.protobuf import field_mask_pb2

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.common.v1 import audit_pb2
from dckit import protoconv
from dckit.errors import InvalidArgument


def test_enum_words_round_trip_and_refuse_unknown_ones() -> None:
    status = cpb.ScanStatus
    assert protoconv.enum_text(status, status.SCAN_STATUS_RUNNING) == "running"
    assert protoconv.enum_text(status.DESCRIPTOR, status.SCAN_STATUS_FAILED) == "failed"
    assert protoconv.enum_word_number(status, "running") == status.SCAN_STATUS_RUNNING
    for word in ("", "unspecified", "SCAN_STATUS_RUNNING", "sleeping"):
        with pytest.raises(ValueError):
            protoconv.enum_word_number(status, word)


def test_to_message_converts_by_field_type() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    record = {
        "id": "r1",
        "time": at,
        "service": "quality",
        "actor": "ada",
        "action_name": "x.update",
        "entity_type": "x",
        "entity_id": "7",
        "entity_urn": date(2026, 1, 2),  # a date in a string field: ISO text
        "changes": [{"field": "a", "old_json": "1", "new_json": "2"}],
        "request_id": None,  # None: left unset
        "unused": "records may hold more than the message",
    }
    msg = protoconv.to_message_checked(
        audit_pb2.AuditRecord,
        record,
        rename={"action": "action_name"},
        ignore=("client_ip",),
        user_agent="curl",
    )
    assert msg.time.ToDatetime(tzinfo=UTC) == at
    assert msg.action == "x.update" and msg.entity_urn == "2026-01-02"
    assert msg.changes[0].field == "a" and msg.changes[0].new_json == "2"
    assert msg.request_id == "" and msg.user_agent == "curl"


def test_to_message_refuses_a_field_nobody_maps() -> None:
    with pytest.raises(TypeError, match="client_ip"):
        protoconv.to_message_checked(
            audit_pb2.AuditRecord, {"id": "r1"}, ignore=("time", "service")
        )


def test_to_message_fills_enum_struct_and_repeated_fields() -> None:
    every = set(cpb.ScanRun.DESCRIPTOR.fields_by_name)
    scan = protoconv.to_message_checked(cpb.ScanRun, {"status": "failed", "id": 3}, ignore=every)
    assert scan.status == cpb.ScanStatus.SCAN_STATUS_FAILED and scan.id == 3
    every = set(cpb.CatalogObject.DESCRIPTOR.fields_by_name)
    obj = protoconv.to_message_checked(
        cpb.CatalogObject, {"source_metadata": {"owner": "ada"}, "tags": ("a", "b")}, ignore=every
    )
    assert dict(obj.source_metadata) == {"owner": "ada"} and list(obj.tags) == ["a", "b"]


def test_mask_changes_reads_the_masked_fields_and_clears_unset_ones() -> None:
    req = cpb.UpdateObjectRequest(description="", tags=["a", "b"])
    mask = field_mask_pb2.FieldMask(paths=["description", "tags"])
    changes = protoconv.mask_changes(req, mask, {"description", "tags"})
    assert changes == {"description": "", "tags": ["a", "b"]}
    with pytest.raises(InvalidArgument, match="at least one"):
        protoconv.mask_changes(req, field_mask_pb2.FieldMask(), {"description"})
    with pytest.raises(InvalidArgument, match="tags cannot be changed"):
        protoconv.mask_changes(req, mask, {"description"})


@dataclasses.dataclass(frozen=True)
class _Spec:
    source_name: str
    wait: bool = False
    note: str = "default"


def test_from_message_reads_fields_by_name_and_fails_for_unmapped_ones() -> None:
    req = cpb.StartScanRequest(source_name="shop", wait=True)
    assert protoconv.from_message_checked(_Spec, req) == _Spec("shop", True, "default")
    assert protoconv.from_message_checked(_Spec, req, note="given") == _Spec("shop", True, "given")

    @dataclasses.dataclass(frozen=True)
    class Unmapped:
        nowhere: str

    with pytest.raises(TypeError, match="nowhere"):
        protoconv.from_message_checked(Unmapped, req)


def test_an_enum_number_this_version_does_not_know_is_invalid() -> None:
    with pytest.raises(ValueError):
        protoconv.enum_text(cpb.ScanStatus, 99)

    @dataclasses.dataclass(frozen=True)
    class Filter:
        status: str = ""

    with pytest.raises(InvalidArgument, match="status"):
        protoconv.from_message_checked(Filter, cpb.ScanRun(status=99))
