"""By-name conversions between records and protobuf messages: enum labels, well-known types,
the declaration-time check that every proto field is filled, and FieldMask updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pytest
from google.protobuf import field_mask_pb2

from datacompass.scheduler.v1 import scheduler_pb2 as pb
from dckit.errors import InvalidArgument
from dckit.protoconv import ProtoFrom, enum_label, enum_labels, enum_number, from_proto, masked

STATUS = pb.ScheduleRunStatus.DESCRIPTOR
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


def test_enum_labels_round_trip() -> None:
    number = pb.ScheduleRunStatus.SCHEDULE_RUN_STATUS_SKIPPED_MISFIRE
    assert enum_label(STATUS, number) == "skipped_misfire"
    assert enum_number(STATUS, "skipped_misfire") == number
    assert enum_number(STATUS, "") == 0 and enum_label(STATUS, 0) == ""
    assert enum_labels(STATUS)[:2] == ["pending", "running"]
    for bad in ("SKIPPED_MISFIRE", "unspecified", "nope"):
        with pytest.raises(InvalidArgument, match="status: must be one of pending, running"):
            enum_number(STATUS, bad, "status")


def test_a_message_from_a_record_by_name() -> None:
    build = ProtoFrom(pb.ScheduleRun, Run, rename={"schedule_name": "name"})
    run = Run(
        7, None, "nightly", "dq_run", "cron", "", WHEN, Status.RUNNING, 1, WHEN, None, "", "",
        {"days": 3, "ok": True}, WHEN,
    )  # fmt: skip
    msg = build(run)
    assert (msg.id, msg.schedule_name, msg.schedule_id) == (7, "nightly", 0)
    assert msg.status == pb.ScheduleRunStatus.SCHEDULE_RUN_STATUS_RUNNING
    assert msg.scheduled_for.ToDatetime(tzinfo=UTC) == WHEN
    assert not msg.HasField("finished_at")  # None: unset
    assert dict(msg.result) == {"days": 3.0, "ok": True}
    # A mapping works too, and a label that is no value of the enum is refused.
    with pytest.raises(InvalidArgument, match="status: must be one of"):
        build({**run.__dict__, "status": "lost"})


def test_every_proto_field_is_accounted_for_when_declared() -> None:
    with pytest.raises(TypeError, match=r"no record field for proto fields \['schedule_name'\]"):
        ProtoFrom(pb.ScheduleRun, Run)
    custom = ProtoFrom(pb.ScheduleRun, Run, custom={"schedule_name"})
    run = Run(1, 2, "", "t", "cron", "", WHEN, Status.RUNNING, 0, None, None, "", "", None, WHEN)
    assert custom(run, schedule_name="given").schedule_name == "given"
    with pytest.raises(TypeError, match="not custom fields"):
        custom(run, error="x")


def test_masked_changes_clear_unset_fields_and_refuse_other_paths() -> None:
    schedule = pb.Schedule(name="n", params={"days": 3.0}, enabled=False)
    mask = field_mask_pb2.FieldMask(paths=["params", "enabled", "timezone"])
    updatable = ("name", "params", "enabled", "timezone")
    assert masked(schedule, mask, updatable) == {"params": {"days": 3}, "enabled": False,
                                                 "timezone": ""}  # fmt: skip
    with pytest.raises(InvalidArgument, match="update_mask: name the fields to change"):
        masked(schedule, field_mask_pb2.FieldMask(), updatable)
    with pytest.raises(InvalidArgument, match="update_mask: cannot change id, next_run_at"):
        masked(schedule, field_mask_pb2.FieldMask(paths=["id", "next_run_at"]), updatable)
    create = pb.CreateScheduleRequest(name="n", max_attempts=0)
    names = ["name", "params", "enabled", "max_attempts"]
    assert from_proto(create, names, only_set=True) == {"name": "n", "params": {},
                                                        "max_attempts": 0}  # fmt: skip
    assert from_proto(create, names)["enabled"] is False
    assert from_proto(pb.ScheduleRun(), ["status", "finished_at"]) == {
        "status": "",
        "finished_at": None,
    }
