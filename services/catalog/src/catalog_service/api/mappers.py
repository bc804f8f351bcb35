"""Rows → protobuf messages (and protobuf → plain Python) for the catalog API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog_service.db.repository import Row
from catalog_service.domain.versions import SchemaDiff
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.common.v1 import refs_pb2
from dckit.protoconv import from_struct, struct, ts

__all__ = ["from_struct", "struct", "ts"]  # re-exported: the servicer uses them as m.*

SCAN_STATUS = {
    "running": pb.SCAN_STATUS_RUNNING,
    "succeeded": pb.SCAN_STATUS_SUCCEEDED,
    "failed": pb.SCAN_STATUS_FAILED,
    "cancelled": pb.SCAN_STATUS_CANCELLED,
}


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
        objects_total=row["objects_total"],
        objects_done=row["objects_done"],
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
        partitioning=(
            pb.Partitioning(
                strategy=row["partition_strategy"],
                key=list(row["partition_key"] or []),
                expression=row["partition_expression"] or "",
            )
            if row["partition_strategy"]
            else None
        ),
        storage_format=row["storage_format"] or "",
        size_bytes=row["size_bytes"],
        row_estimate=row["row_estimate"],
        last_analyzed_at=ts(row["last_analyzed_at"]),
    )


def facets(values: dict[str, list[tuple[str, int]]]) -> list[pb.Facet]:
    return [
        pb.Facet(name=name, counts=[pb.FacetCount(value=v, count=n) for v, n in counts])
        for name, counts in values.items()
    ]


def constraint(row: dict[str, Any]) -> pb.Constraint:
    return pb.Constraint(
        id=row["id"],
        origin=row["origin"],
        constraint_type=row["constraint_type"],
        name=row["name"] or "",
        columns=list(row["columns"]),
        column_urns=list(row["column_urns"]),
        referenced_object_urn=row["referenced_object_urn"] or "",
        referenced_column_urns=list(row["referenced_column_urns"] or []),
        on_delete=row["on_delete"] or "",
        on_update=row["on_update"] or "",
        check_expression=row["check_expression"] or "",
        default_expression=row["default_expression"] or "",
        deferrable=row["deferrable"],
        enforced=row["enforced"],
        created_by=row["created_by"],
        created_at=ts(row["created_at"]),
    )


def index(row: Row) -> pb.Index:
    return pb.Index(
        name=row["name"],
        index_type=row["index_type"],
        unique=row["is_unique"],
        primary=row["is_primary"],
        columns=list(row["columns"]),
        expressions=list(row["expressions"]),
        predicate=row["predicate"] or "",
        definition=row["definition"] or "",
    )


def schema_change(change: dict[str, Any]) -> pb.SchemaChange:
    return pb.SchemaChange(
        kind=change["kind"],
        target=change["target"],
        detail=change["detail"],
        breaking=change["breaking"],
    )


def schema_version(row: Row, *, with_schema: bool = False) -> pb.SchemaVersion:
    return pb.SchemaVersion(
        version_number=row["version_number"],
        version=row["version"],
        schema_hash=row["schema_hash"],
        change_type=row["change_type"],
        change_summary=row["change_summary"],
        breaking=row["breaking"],
        changes=[schema_change(c) for c in row["changes"]],
        schema=struct(row["schema_snapshot"]) if with_schema else None,
        scan_id=row["scan_id"] or 0,
        created_at=ts(row["created_at"]),
    )


def schema_diff(old: Row, new: Row, result: SchemaDiff) -> pb.SchemaDiff:
    return pb.SchemaDiff(
        from_version=old["version"],
        to_version=new["version"],
        breaking=result.breaking,
        bump=result.bump,
        changes=[schema_change(c.as_dict()) for c in result.changes],
    )


def lineage_edge(row: Mapping[Any, Any]) -> pb.LineageEdge:
    return pb.LineageEdge(
        id=row["id"],
        upstream_urn=row["upstream_urn"],
        upstream_ref=row["upstream_ref"],
        downstream_urn=row["downstream_urn"],
        downstream_ref=row["downstream_ref"],
        edge_type=row["edge_type"],
        upstream_column=row["upstream_column"],
        downstream_column=row["downstream_column"],
        origin=row["origin"],
        confidence=row["confidence"],
        depth=row["depth"],
        created_by=row["created_by"],
    )


def view_parse(row: Row | None) -> pb.ViewParse | None:
    if row is None:
        return None
    return pb.ViewParse(
        confidence=row["confidence"],
        error=row["error"] or "",
        unresolved=list(row["unresolved"]),
        parsed_at=ts(row["parsed_at"]),
    )


def transformation_code(row: Row) -> pb.TransformationCode:
    return pb.TransformationCode(
        id=row["id"],
        origin=row["origin"],
        language=row["language"],
        code_text=row["code_text"],
        code_hash=row["code_hash"],
        file_path=row["file_path"] or "",
        git_repository=row["git_repository"] or "",
        git_commit_sha=row["git_commit_sha"] or "",
        git_branch=row["git_branch"] or "",
        created_by=row["created_by"],
        created_at=ts(row["created_at"]),
    )


def deprecation(row: Mapping[str, Any]) -> pb.Deprecation:
    return pb.Deprecation(
        id=row["id"],
        object_urn=row["object_urn"],
        object_ref=row["object_ref"],
        deadline=row["deadline"].isoformat(),
        replacement_urn=row["replacement_urn"] or "",
        replacement_ref=row["replacement_ref"] or "",
        message=row["message"],
        status=row["status"],
        days_left=row["days_left"],
        last_notice_days=row["notified_days"] or 0,
        created_by=row["created_by"],
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
        withdrawn_by=row["withdrawn_by"] or "",
        withdrawn_at=ts(row["withdrawn_at"]),
    )


def deadline_approaching(
    row: Mapping[str, Any], threshold: int
) -> pb.DeprecationDeadlineApproaching:
    return pb.DeprecationDeadlineApproaching(deprecation=deprecation(row), threshold_days=threshold)
