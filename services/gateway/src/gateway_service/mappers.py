"""Protobuf ↔ JSON models: timestamps as ISO-8601 datetimes, enums as lower-case strings,
empty proto strings as null where the field is optional."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from google.protobuf import json_format, struct_pb2, timestamp_pb2
from google.protobuf.message import Message

from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.common.v1 import paging_pb2, refs_pb2
from gateway_service import schemas
from gateway_service.errors import ApiError

INT64_MAX = 2**63 - 1
URN_PREFIX = "urn:"
_SCAN_STATUS_PREFIX = "SCAN_STATUS_"


def timestamp(msg: Message, field: str) -> datetime | None:
    if not msg.HasField(field):
        return None
    value = cast(timestamp_pb2.Timestamp, getattr(msg, field))
    return value.ToDatetime(tzinfo=UTC)


def optional(value: str) -> str | None:
    return value or None


def from_struct(value: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(value)


def to_struct(value: dict[str, Any], field: str) -> struct_pb2.Struct:
    """A JSON object as a Struct; 400 naming `field` when it holds what a Struct cannot."""
    out = struct_pb2.Struct()
    try:
        out.update(value)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "INVALID_ARGUMENT", f"{field}: {exc}") from exc
    return out


def page_request(limit: int, cursor: str | None) -> paging_pb2.PageRequest:
    return paging_pb2.PageRequest(limit=limit, cursor=cursor or "")


def next_cursor(page: paging_pb2.PageResponse) -> str | None:
    return page.next_cursor or None


def scan_status(value: int) -> schemas.ScanStatus:
    name = pb.ScanStatus.Name(value).removeprefix(_SCAN_STATUS_PREFIX).lower()
    if name not in ("running", "succeeded", "failed", "cancelled"):
        raise ValueError(f"unexpected scan status {name!r}")
    return cast(schemas.ScanStatus, name)


def scan_run(msg: pb.ScanRun) -> schemas.ScanRun:
    status = scan_status(msg.status)
    return schemas.ScanRun(
        id=msg.id,
        source_name=msg.source_name,
        status=status,
        started_at=timestamp(msg, "started_at"),
        finished_at=timestamp(msg, "finished_at"),
        duration_ms=msg.duration_ms if status != "running" else None,
        objects_found=msg.objects_found,
        objects_created=msg.objects_created,
        objects_updated=msg.objects_updated,
        objects_deleted=msg.objects_deleted,
        columns_found=msg.columns_found,
        error=optional(msg.error),
        triggered_by=msg.triggered_by,
        objects_total=msg.objects_total,
        objects_done=msg.objects_done,
    )


def source(msg: pb.Source) -> schemas.Source:
    return schemas.Source(
        id=msg.id,
        name=msg.name,
        source_type=msg.source_type,
        description=msg.description,
        connection_keys=list(msg.connection_keys),
        created_at=timestamp(msg, "created_at"),
        updated_at=timestamp(msg, "updated_at"),
        last_scan=scan_run(msg.last_scan) if msg.HasField("last_scan") else None,
    )


def column(msg: pb.Column) -> schemas.Column:
    return schemas.Column(
        name=msg.name,
        ordinal=msg.ordinal,
        data_type=msg.data_type,
        nullable=msg.nullable,
        default_expression=optional(msg.default_expression),
        comment=optional(msg.comment),
        urn=msg.urn,
    )


def catalog_object(msg: pb.CatalogObject, *, with_columns: bool = False) -> schemas.CatalogObject:
    fields: dict[str, Any] = {
        "id": msg.id,
        "ref": msg.ref,
        "urn": msg.urn,
        "source_name": msg.source_name,
        "source_type": msg.source_type,
        "schema_name": msg.schema_name,
        "name": msg.name,
        "object_type": msg.object_type,
        "description": msg.description,
        "tags": list(msg.tags),
        "source_metadata": from_struct(msg.source_metadata),
        "user_metadata": from_struct(msg.user_metadata),
        "column_count": msg.column_count,
        "deleted": msg.deleted,
        "first_seen_at": timestamp(msg, "first_seen_at"),
        "last_seen_at": timestamp(msg, "last_seen_at"),
        "updated_at": timestamp(msg, "updated_at"),
        "partitioning": (
            {
                "strategy": msg.partitioning.strategy,
                "key": list(msg.partitioning.key),
                "expression": msg.partitioning.expression,
            }
            if msg.HasField("partitioning")
            else None
        ),
        "storage_format": optional(msg.storage_format),
        "size_bytes": msg.size_bytes if msg.HasField("size_bytes") else None,
        "row_estimate": msg.row_estimate if msg.HasField("row_estimate") else None,
        "last_analyzed_at": timestamp(msg, "last_analyzed_at"),
    }
    if with_columns:
        # Left unset otherwise, so list responses (exclude_unset) carry no `columns` key.
        fields["columns"] = [column(c) for c in msg.columns]
    return schemas.CatalogObject(**fields)


def split_column_ref(urn: str) -> tuple[str, str]:
    """A column URN (`<object urn>.<column>`) or ref (`source.schema.table.column`) as (object
    ref or URN, column), split at the last '.' (column names with a '.' cannot be named this
    way); 400 when there is no '.'."""
    obj, dot, column = urn.strip().rpartition(".")
    if not dot or not obj or not column:
        raise ApiError(
            400,
            "INVALID_ARGUMENT",
            f"column: {urn!r} is not <object urn or ref>.<column>",
        )
    return obj, column


def object_ref(ref: str) -> refs_pb2.ObjectRef:
    """`source.schema.name`, a URN (`urn:dcs:...`) or a numeric id; the catalog validates the
    qualified name and the URN."""
    ref = ref.strip()
    if ref.isascii() and ref.isdigit():
        if int(ref) > INT64_MAX:
            raise ApiError(404, "NOT_FOUND", f"object id {ref} not found")
        return refs_pb2.ObjectRef(id=int(ref))
    if ref.startswith(URN_PREFIX):
        return refs_pb2.ObjectRef(urn=ref)
    return refs_pb2.ObjectRef(qualified_name=ref)
