"""The one set of protobuf conversions (dckit.protoconv): enums ↔ text, object refs, record →
message by field name (and the `complete` check), message → values / dataclass, FieldMask
partial updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import pytest
from google.protobuf import field_mask_pb2

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.common.v1 import refs_pb2
from datacompass.governance.v1 import governance_pb2, masking_pb2
from datacompass.quality.v1 import quality_rules_pb2 as qpb
from datacompass.scheduler.v1 import scheduler_pb2 as pb
from dckit.errors import InvalidArgument
from dckit.protoconv import (
    enum_number,
    enum_text,
    enum_texts,
    from_message,
    mask_changes,
    mask_paths,
    message_values,
    object_ref,
    ref_text,
    to_message,
)

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Status(StrEnum):
    RUNNING = "running"


@dataclass(frozen=True)
class Run:
    id: int
    schedule_id: int | None
    name: str
    task_type: str
    trigger: str
    triggered_by: str
    scheduled_for: datetime
    status: Status
    attempt: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    target_id: str
    result: dict[str, Any] | None
    created_at: datetime


def _run(**changes: Any) -> Run:
    run = Run(
        7, None, "nightly", "dq_run", "cron", "", WHEN, Status.RUNNING, 1, WHEN, None, "", "",
        {"days": 3, "ok": True}, WHEN,
    )  # fmt: skip
    return Run(**{**run.__dict__, **changes})


def test_enum_text_and_number_round_trip() -> None:
    status = pb.ScheduleRunStatus  # the generated wrapper or its DESCRIPTOR: both work
    number = pb.ScheduleRunStatus.SCHEDULE_RUN_STATUS_SKIPPED_MISFIRE
    assert enum_text(status, number) == "skipped_misfire"
    assert enum_number(status.DESCRIPTOR, "skipped_misfire") == number
    assert enum_number(status, "") == 0 and enum_text(status, 0) == ""
    assert enum_texts(status)[:2] == ["pending", "running"]
    for bad in ("SKIPPED_MISFIRE", "unspecified", "nope"):
        with pytest.raises(InvalidArgument, match="status: must be one of pending, running"):
            enum_number(status, bad, "status")
    with pytest.raises(InvalidArgument, match="ScheduleRunStatus: unknown value 99"):
        enum_text(status, 99)  # a newer peer's value


def test_object_refs_as_text_and_back() -> None:
    assert object_ref(" urn:dcs:pg:shop.sales.orders ").urn == "urn:dcs:pg:shop.sales.orders"
    assert object_ref("42").id == 42
    assert object_ref("shop.sales.orders").qualified_name == "shop.sales.orders"
    for text in ("urn:dcs:x", "42", "shop.sales.orders"):
        assert ref_text(object_ref(text)) == text
    assert ref_text(refs_pb2.ObjectRef()) == ""


def test_to_message_fills_fields_by_name_and_converts_by_kind() -> None:
    msg = to_message(pb.ScheduleRun, _run(), rename={"schedule_name": "name"})
    assert (msg.id, msg.schedule_name, msg.schedule_id) == (7, "nightly", 0)
    assert msg.status == pb.ScheduleRunStatus.SCHEDULE_RUN_STATUS_RUNNING  # a str Enum
    assert msg.scheduled_for.ToDatetime(tzinfo=UTC) == WHEN
    assert not msg.HasField("finished_at")  # None: unset
    assert dict(msg.result) == {"days": 3.0, "ok": True}
    # A mapping works too; `values` override; a text the enum lacks is refused.
    row = {"id": 1, "source_metadata": {"n": 2}, "size_bytes": 0, "row_estimate": None}
    obj = to_message(cpb.CatalogObject, row, columns=[{"name": "a"}, cpb.Column(name="b")])
    assert obj.source_metadata["n"] == 2 and [c.name for c in obj.columns] == ["a", "b"]
    assert obj.HasField("size_bytes") and not obj.HasField("row_estimate")
    assert to_message(cpb.Deprecation, {"deadline": date(2031, 4, 9)}).deadline == "2031-04-09"
    src = to_message(cpb.Source, {"last_scan": {"status": "succeeded"}, "secret": b"x"})
    assert src.last_scan.status == cpb.SCAN_STATUS_SUCCEEDED  # nested, unknown keys ignored
    with pytest.raises(InvalidArgument, match="status: must be one of"):
        to_message(pb.ScheduleRun, {"status": "lost"})
    score = to_message(qpb.QualityScore, {"dimensions": {"validity": 90.0}, "score": None})
    assert dict(score.dimensions) == {"validity": 90.0} and not score.HasField("score")
    listed = to_message(masking_pb2.ColumnValues, column="email", values=["a", 1])
    assert list(listed.values) == ["a", 1.0]


def test_complete_requires_every_proto_field() -> None:
    with pytest.raises(TypeError, match=r"no value for \['schedule_name'\]"):
        to_message(pb.ScheduleRun, _run(), complete=True)
    msg = to_message(pb.ScheduleRun, _run(), complete=True, schedule_name="given")
    assert msg.schedule_name == "given"
    assert to_message(pb.ScheduleRun, _run(), complete=True, ignore={"schedule_name"}).id == 7
    with pytest.raises(TypeError, match="no value for"):  # nested records too
        to_message(cpb.Source, {**dict.fromkeys(cpb.Source.DESCRIPTOR.fields_by_name),
                                "last_scan": {"id": 1}}, complete=True)  # fmt: skip


def test_message_values_reads_a_request_back() -> None:
    ref = refs_pb2.ObjectRef(qualified_name="shop.sales.orders")
    got = message_values(
        cpb.AddConstraintRequest(ref=ref, constraint_type="unique", columns=["a", "b"]),
        exclude={"name"},
    )
    assert got["ref"] == ref and got["constraint_type"] == "unique"
    assert got["columns"] == ["a", "b"] and "name" not in got
    assert message_values(cpb.ListScansRequest())["page"] is None  # unset message: None
    assert message_values(pb.ScheduleRun(), ["status", "finished_at"]) == {
        "status": "",
        "finished_at": None,
    }
    create = pb.CreateScheduleRequest(name="n", params={"days": 3.0}, max_attempts=0)
    names = ["name", "params", "enabled", "max_attempts"]
    assert message_values(create, names, only_set=True) == {
        "name": "n",
        "params": {"days": 3},  # Struct numbers: whole ones are ints again
        "max_attempts": 0,  # set to 0: kept; `enabled` unset: left to the domain default
    }
    with pytest.raises(InvalidArgument, match="unknown value 99"):
        message_values(pb.ScheduleRun(status=99), ["status"])


@dataclass(frozen=True)
class Spec:
    sensitivity: str
    allowed_regions: tuple[str, ...] = ()
    retention_days: int = 30
    note: str = "kept"


def test_from_message_builds_a_dataclass() -> None:
    spec = from_message(Spec, _policy(allowed_regions=["eu"]), retention_days=9)
    assert spec == Spec("restricted", ("eu",), 9, "kept")  # repeated → tuple; default kept

    @dataclass
    class Needs:
        missing: str

    with pytest.raises(TypeError, match=r"Needs\.missing: no field in PolicySpec"):
        from_message(Needs, _policy())


def _policy(**values: Any) -> governance_pb2.PolicySpec:
    return governance_pb2.PolicySpec(sensitivity="restricted", **values)


def test_mask_changes_clear_unset_fields_and_refuse_other_paths() -> None:
    schedule = pb.Schedule(name="n", params={"days": 3.0}, enabled=False)
    mask = field_mask_pb2.FieldMask(paths=["params", "enabled", "timezone", "enabled"])
    updatable = ("name", "params", "enabled", "timezone")
    assert mask_paths(mask, updatable) == ("params", "enabled", "timezone")
    assert mask_changes(schedule, mask, updatable) == {
        "params": {"days": 3},
        "enabled": False,
        "timezone": "",  # in the mask but unset: cleared
    }
    with pytest.raises(InvalidArgument, match="update_mask: name the fields to change"):
        mask_changes(schedule, field_mask_pb2.FieldMask(), updatable)
    with pytest.raises(InvalidArgument, match="update_mask: cannot change id, next_run_at"):
        mask_paths(field_mask_pb2.FieldMask(paths=["id", "next_run_at"]), updatable)
