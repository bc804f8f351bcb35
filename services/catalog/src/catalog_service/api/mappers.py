"""Rows → protobuf messages (and protobuf → plain Python) for the catalog API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from catalog_service.db.repository import Row
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.common.v1 import refs_pb2

SCAN_STATUS = {
    "running": pb.SCAN_STATUS_RUNNING,
    "succeeded": pb.SCAN_STATUS_SUCCEEDED,
    "failed": pb.SCAN_STATUS_FAILED,
}


def ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def from_struct(value: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(value)


def ref_string(ref: refs_pb2.ObjectRef) -> str:
    kind = ref.WhichOneof("ref")
    if kind == "id":
        return str(ref.id)
    if kind == "urn":
        return ref.urn
    if kind == "qualified_name":
        return ref.qualified_name
    return ""


def scan_run(row: Row) -> pb.ScanRun:
    return pb.ScanRun(
        id=row["id"],
        source_name=row["source_name"],
        status=SCAN_STATUS[row["status"]],
        started_at=ts(row["started_at"]),
        finished_at=ts(row["finished_at"]),
        duration_ms=row["duration_ms"] or 0,
        objects_found=row["objects_found"],
        objects_created=row["objects_created"],
        objects_updated=row["objects_updated"],
        objects_deleted=row["objects_deleted"],
        columns_found=row["columns_found"],
        error=row["error"] or "",
        triggered_by=row["triggered_by"],
    )


def scan_finished(row: Row, source_type: str) -> pb.ScanFinished:
    return pb.ScanFinished(scan=scan_run(row), source_type=source_type)


def source(row: Row, last_scan: Row | None) -> pb.Source:
    return pb.Source(
        id=row["id"],
        name=row["name"],
        source_type=row["source_type"],
        description=row["description"],
        connection_keys=list(row["connection_keys"]),
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
        last_scan=scan_run(last_scan) if last_scan is not None else None,
    )


def column(row: dict[str, Any]) -> pb.Column:
    return pb.Column(
        name=row["name"],
        ordinal=row["ordinal"],
        data_type=row["data_type"],
        nullable=row["nullable"],
        default_expression=row["default_expression"] or "",
        comment=row["comment"] or "",
        urn=row["urn"],
    )


def catalog_object(row: Row, columns: list[dict[str, Any]] | None = None) -> pb.CatalogObject:
    meta = dict(row["source_metadata"] or {})
    user: dict[str, Any] = {"tags": list(row["tags"] or [])}
    if row["description"]:
        user["description"] = row["description"]
    return pb.CatalogObject(
        id=row["id"],
        source_name=row["source_name"],
        source_type=row["source_type"],
        schema_name=row["schema_name"],
        name=row["name"],
        object_type=row["object_type"],
        ref=row["ref"],
        urn=row["urn"],
        description=row["description"] or meta.get("comment", ""),
        source_metadata=struct(meta),
        user_metadata=struct(user),
        tags=list(row["tags"] or []),
        column_count=row["column_count"],
        deleted=row["deleted"],
        first_seen_at=ts(row["first_seen_at"]),
        last_seen_at=ts(row["last_seen_at"]),
        updated_at=ts(row["updated_at"]),
        columns=[column(c) for c in columns or []],
    )
