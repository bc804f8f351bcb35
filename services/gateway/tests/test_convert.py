"""The by-name protobuf ↔ REST model builders (core/convert.py), on the real generated messages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

import pytest
from google.protobuf import struct_pb2
from pydantic import BaseModel

from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.governance.v1 import governance_pb2 as gpb
from datacompass.quality.v1 import dq_pb2 as dpb
from datacompass.quality.v1 import quality_rules_pb2 as qpb
from gateway_service.core.convert import FromProto, ToProto, ToUpdate, enum_numbers, rest_enum_text
from gateway_service.core.errors import ApiError

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
RUN_EXTRA = {
    "duration_ms", "objects_found", "objects_created", "objects_updated", "objects_deleted",
    "columns_found", "triggered_by", "objects_total", "objects_done",
}  # fmt: skip


class Run(BaseModel):
    id: int
    status: Literal["running", "succeeded", "failed", "cancelled"]
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    source_name: str


class Source(BaseModel):
    name: str
    connection_keys: list[str]
    last_scan: Run | None


def run_mapper() -> FromProto[Run]:
    return FromProto(Run, pb.ScanRun, ignore=RUN_EXTRA)


def unexposed(message: Any, *exposed: str) -> set[str]:
    return set(message.DESCRIPTOR.fields_by_name) - set(exposed)


SOURCE_EXTRA = unexposed(pb.Source, "name", "connection_keys", "last_scan")


def test_enum_names_lose_the_enum_prefix() -> None:
    assert rest_enum_text(pb.ScanStatus.DESCRIPTOR, pb.SCAN_STATUS_RUNNING) == "running"
    assert rest_enum_text(pb.ScanStatus.DESCRIPTOR, pb.SCAN_STATUS_UNSPECIFIED) == "unspecified"
    assert rest_enum_text(pb.ScanStatus.DESCRIPTOR, 99) == "99"  # a newer backend's value


def test_scalars_enums_timestamps_and_empty_optionals() -> None:
    msg = pb.ScanRun(id=7, status=pb.SCAN_STATUS_SUCCEEDED, source_name="crm", error="")
    msg.started_at.FromDatetime(WHEN)
    run = run_mapper()(msg)
    assert run == Run(
        id=7, status="succeeded", started_at=WHEN, finished_at=None, error=None, source_name="crm"
    )
    assert run.started_at is not None and run.started_at.tzinfo is not None


def test_nested_message_is_none_when_unset_and_a_model_when_set() -> None:
    source = FromProto(Source, pb.Source, nested={"last_scan": run_mapper()}, ignore=SOURCE_EXTRA)
    got = source(pb.Source(name="crm", connection_keys=["host", "password"]))
    assert got.last_scan is None and got.connection_keys == ["host", "password"]
    msg = pb.Source(name="crm", last_scan=pb.ScanRun(id=3, status=pb.SCAN_STATUS_RUNNING))
    assert source(msg).last_scan == Run(
        id=3, status="running", started_at=None, finished_at=None, error=None, source_name=""
    )


def test_a_given_mapper_reads_a_nested_field() -> None:
    calls: list[int] = []

    def run(msg: pb.ScanRun) -> Run:
        calls.append(msg.id)
        return run_mapper()(msg)

    source = FromProto(Source, pb.Source, nested={"last_scan": run}, ignore=SOURCE_EXTRA)
    source(pb.Source(last_scan=pb.ScanRun(id=9, status=pb.SCAN_STATUS_FAILED)))
    assert calls == [9]


class Change(BaseModel):
    kind: str
    target: str
    detail: str
    breaking: bool


class Version(BaseModel):
    version: str
    changes: list[Change]
    schema_: dict[str, Any] | None = None
    scan_id: int | None


def test_repeated_messages_structs_and_zero_ids() -> None:
    version = FromProto(
        Version,
        pb.SchemaVersion,
        rename={"schema_": "schema"},
        ignore=unexposed(pb.SchemaVersion, "version", "changes", "schema", "scan_id"),
    )
    snapshot = struct_pb2.Struct()
    snapshot.update({"columns": [{"name": "id", "ordinal": 1}], "ratio": 0.5})
    msg = pb.SchemaVersion(
        version="2.0.0",
        changes=[pb.SchemaChange(kind="column_removed", target="id", breaking=True)],
        schema=snapshot,
    )
    got = version(msg)
    assert got.changes == [Change(kind="column_removed", target="id", detail="", breaking=True)]
    # Struct numbers are doubles: whole ones come back as integers.
    assert got.schema_ == {"columns": [{"name": "id", "ordinal": 1}], "ratio": 0.5}
    assert got.scan_id is None  # 0 = none
    assert version(pb.SchemaVersion()).schema_ is None  # unset message on an optional field


class Score(BaseModel):
    score: float | None
    dimensions: dict[str, float]
    run_id: int | None
    as_of: datetime | None


def test_presence_fields_and_maps() -> None:
    score = FromProto(
        Score, qpb.QualityScore, ignore={"object_urn", "object_ref", "checks_counted"}
    )
    assert score(qpb.QualityScore()).score is None  # unset
    got = score(qpb.QualityScore(score=0.0, dimensions={"validity": 50.0}, run_id=4))
    assert got.score == 0.0  # set to zero is a value, not "none"
    assert got.dimensions == {"validity": 50.0} and got.run_id == 4


class Deprecation(BaseModel):
    deadline: date
    replacement_ref: str | None
    withdrawn_at: datetime | None


def test_iso_strings_become_dates() -> None:
    exposed = ("deadline", "replacement_ref", "withdrawn_at")
    mapper = FromProto(Deprecation, pb.Deprecation, ignore=unexposed(pb.Deprecation, *exposed))
    got = mapper(pb.Deprecation(deadline="2030-01-31"))
    assert got == Deprecation(deadline=date(2030, 1, 31), replacement_ref=None, withdrawn_at=None)


class Key(BaseModel):
    id: int
    user: str
    key: str
    note: str = "given by the caller"


def test_flatten_rename_and_custom_fields() -> None:
    mapper = FromProto(
        Key,
        gpb.CreatedApiKey,
        flatten={"key"},
        rename={"user": "key.username", "key": "secret"},
        custom={"note"},
        ignore={f"key.{name}" for name in unexposed(gpb.ApiKey, "id", "username")},
    )
    msg = gpb.CreatedApiKey(key=gpb.ApiKey(id=5, username="ann"), secret="dck_x")
    assert mapper(msg) == Key(id=5, user="ann", key="dck_x")
    assert mapper(msg, note="n").note == "n"
    with pytest.raises(TypeError, match="not custom"):
        mapper(msg, user="bob")


def test_a_model_field_missing_from_the_message_fails_at_declaration() -> None:
    class Extra(Run):
        owner: str

    with pytest.raises(TypeError, match="no proto field for model field 'owner'"):
        FromProto(Extra, pb.ScanRun, ignore=RUN_EXTRA)


def test_a_message_field_neither_mapped_nor_ignored_fails_at_declaration() -> None:
    with pytest.raises(TypeError, match=r"neither mapped nor ignored: \['columns_found'\]"):
        FromProto(Run, pb.ScanRun, ignore=RUN_EXTRA - {"columns_found"})


def test_a_custom_field_must_be_on_the_model() -> None:
    with pytest.raises(TypeError, match="custom fields not on the model"):
        FromProto(Run, pb.ScanRun, ignore=RUN_EXTRA, custom={"nope"})


# ---------------------------------------------------------------- ToProto


class ConfigCreate(BaseModel):
    date_column: str
    date_format: str | None = None
    enabled: bool = True


class ExpectationChange(BaseModel):
    threshold: dict[str, Any] | None = None
    priority: str | None = None


def test_to_proto_copies_by_name_and_leaves_none_unset() -> None:
    build = ToProto(dpb.CreateConfigRequest, ConfigCreate)
    req = build(ConfigCreate(date_column="day"), grain="daily")
    assert req == dpb.CreateConfigRequest(date_column="day", enabled=True, grain="daily")


def test_to_proto_structs_and_patch_mappings() -> None:
    build = ToProto(dpb.Expectation, ExpectationChange)
    req = build({"threshold": {"strategy": "absolute", "min": 1}}, id=3)
    assert req.HasField("threshold") and req.id == 3
    assert dict(req.threshold) == {"strategy": "absolute", "min": 1.0}
    # In a PATCH mapping a null is sent: the zero value, which the update mask then clears.
    cleared = build({"priority": None}, id=3)
    assert cleared.priority == "" and not cleared.HasField("threshold")
    with pytest.raises(ApiError) as info:
        build({"threshold": {"bad": object()}})
    assert info.value.status == 400 and info.value.message.startswith("threshold: ")


def test_to_proto_dates_become_iso_strings() -> None:
    class Deprecate(BaseModel):
        deadline: date
        ref: str

    build = ToProto(pb.DeprecateObjectRequest, Deprecate, custom={"ref"})
    req = build(Deprecate(deadline=date(2030, 1, 2), ref="a.b.c"))
    assert req.deadline == "2030-01-02" and not req.HasField("ref")


def test_to_proto_object_refs_and_enums_from_strings() -> None:
    class Deprecate(BaseModel):
        ref: str
        replacement: str | None = None

    build = ToProto(pb.DeprecateObjectRequest, Deprecate)
    req = build(Deprecate(ref="urn:dcs:postgres:table:s.a:b", replacement="7"))
    assert req.ref.urn == "urn:dcs:postgres:table:s.a:b" and req.replacement.id == 7
    assert not build(Deprecate(ref="s.a.b")).HasField("replacement")

    class Filter(BaseModel):
        status: str

    got = ToProto(pb.ListDeprecationsRequest, Filter)(Filter(status="deadline_passed"))
    assert got.status == pb.DEPRECATION_STATUS_DEADLINE_PASSED


def test_to_proto_fails_at_declaration_on_a_field_the_message_lacks() -> None:
    with pytest.raises(TypeError, match=r"no proto field for model fields \['date_format'\]"):
        ToProto(dpb.Expectation, ConfigCreate, custom={"date_column"})


def test_to_proto_enum_words_become_values() -> None:
    class StatusChange(BaseModel):
        status: str
        reason: str = ""

    build = ToProto(dpb.ChangeBreachStatusRequest, StatusChange)
    req = build(StatusChange(status="dismissed", reason="known gap"), id=5)
    assert req.status == dpb.BREACH_STATUS_DISMISSED and req.id == 5
    assert enum_numbers(dpb.BreachStatus, ["open", "resolved"]) == [
        dpb.BREACH_STATUS_OPEN,
        dpb.BREACH_STATUS_RESOLVED,
    ]


def test_to_update_carries_the_sent_fields_and_their_mask() -> None:
    build = ToUpdate(dpb.UpdateExpectationRequest, "expectation", ExpectationChange)
    req = build({"priority": None, "threshold": {"strategy": "absolute"}}, id=7)
    assert req.id == 7 and list(req.update_mask.paths) == ["priority", "threshold"]
    assert req.expectation.priority == "" and dict(req.expectation.threshold)
    with pytest.raises(TypeError, match="priority"):  # checked when declared: no field x
        ToUpdate(
            dpb.UpdateExpectationRequest, "expectation", ExpectationChange, rename={"priority": "x"}
        )
