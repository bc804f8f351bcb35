"""Protobuf → REST models for catalog depth (see schemas_catalog_depth)."""

from __future__ import annotations

from datetime import date

from google.protobuf.message import Message

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service import mappers as m
from gateway_service import schemas_catalog_depth as s
from gateway_service.mappers import from_struct, optional, timestamp


def constraint(msg: pb.Constraint) -> s.Constraint:
    return s.Constraint(
        id=msg.id,
        origin=msg.origin,
        constraint_type=msg.constraint_type,
        name=optional(msg.name),
        columns=list(msg.columns),
        column_urns=list(msg.column_urns),
        referenced_object_urn=optional(msg.referenced_object_urn),
        referenced_column_urns=list(msg.referenced_column_urns),
        on_delete=optional(msg.on_delete),
        on_update=optional(msg.on_update),
        check_expression=optional(msg.check_expression),
        default_expression=optional(msg.default_expression),
        deferrable=msg.deferrable,
        enforced=msg.enforced,
        created_by=msg.created_by,
        created_at=timestamp(msg, "created_at"),
    )


def index(msg: pb.Index) -> s.Index:
    return s.Index(
        name=msg.name,
        index_type=msg.index_type,
        unique=msg.unique,
        primary=msg.primary,
        columns=list(msg.columns),
        expressions=list(msg.expressions),
        predicate=optional(msg.predicate),
        definition=optional(msg.definition),
    )


def _changes(msg: Message) -> list[s.SchemaChange]:
    return [
        s.SchemaChange(kind=c.kind, target=c.target, detail=c.detail, breaking=c.breaking)
        for c in msg.changes  # type: ignore[attr-defined]
    ]


def schema_version(msg: pb.SchemaVersion) -> s.SchemaVersion:
    return s.SchemaVersion(
        version_number=msg.version_number,
        version=msg.version,
        schema_hash=msg.schema_hash,
        change_type=msg.change_type,
        change_summary=msg.change_summary,
        breaking=msg.breaking,
        changes=_changes(msg),
        scan_id=msg.scan_id or None,
        created_at=timestamp(msg, "created_at"),
        schema=from_struct(msg.schema) if msg.HasField("schema") else None,
    )


def schema_diff(msg: pb.SchemaDiff) -> s.SchemaDiff:
    return s.SchemaDiff(
        from_version=msg.from_version,
        to_version=msg.to_version,
        breaking=msg.breaking,
        bump=msg.bump,
        changes=_changes(msg),
    )


def lineage_edge(msg: pb.LineageEdge) -> s.LineageEdge:
    return s.LineageEdge(
        id=msg.id,
        upstream_urn=msg.upstream_urn,
        upstream_ref=msg.upstream_ref,
        downstream_urn=msg.downstream_urn,
        downstream_ref=msg.downstream_ref,
        edge_type=msg.edge_type,
        upstream_column=optional(msg.upstream_column),
        downstream_column=optional(msg.downstream_column),
        origin=msg.origin,
        confidence=round(msg.confidence, 4),
        depth=msg.depth,
        created_by=msg.created_by,
    )


def lineage(msg: pb.GetLineageResponse) -> s.Lineage:
    parse = None
    if msg.HasField("view_parse"):
        parse = s.ViewParse(
            confidence=msg.view_parse.confidence,
            error=optional(msg.view_parse.error),
            unresolved=list(msg.view_parse.unresolved),
            parsed_at=timestamp(msg.view_parse, "parsed_at"),
        )
    return s.Lineage(
        urn=msg.urn,
        edges=[lineage_edge(e) for e in msg.edges],
        view_parse=parse,
        next_cursor=msg.page.next_cursor or None,
    )


def transformation_code(msg: pb.TransformationCode) -> s.TransformationCode:
    return s.TransformationCode(
        id=msg.id,
        origin=msg.origin,
        language=msg.language,
        code_text=msg.code_text,
        code_hash=msg.code_hash,
        file_path=optional(msg.file_path),
        git_repository=optional(msg.git_repository),
        git_commit_sha=optional(msg.git_commit_sha),
        git_branch=optional(msg.git_branch),
        created_by=msg.created_by,
        created_at=timestamp(msg, "created_at"),
    )


def deprecation(msg: pb.Deprecation) -> s.Deprecation:
    return s.Deprecation(
        id=msg.id,
        object_urn=msg.object_urn,
        object_ref=msg.object_ref,
        deadline=date.fromisoformat(msg.deadline),
        replacement_urn=optional(msg.replacement_urn),
        replacement_ref=optional(msg.replacement_ref),
        message=msg.message,
        status=msg.status,
        days_left=msg.days_left,
        last_notice_days=msg.last_notice_days or None,
        created_by=msg.created_by,
        created_at=timestamp(msg, "created_at"),
        updated_at=timestamp(msg, "updated_at"),
        withdrawn_by=optional(msg.withdrawn_by),
        withdrawn_at=timestamp(msg, "withdrawn_at"),
    )


def catalog_object(msg: pb.CatalogObject) -> s.CatalogObjectWithDeprecation:
    """An object with its columns and open deprecation (GET/PATCH `/objects/{ref}`)."""
    base = m.catalog_object(msg, with_columns=True)
    return s.CatalogObjectWithDeprecation(
        **dict(base),
        deprecation=deprecation(msg.deprecation) if msg.HasField("deprecation") else None,
    )
