"""What a scan records besides objects and columns, for the objects it wrote (created or
changed; unchanged objects cost nothing): constraints, indexes, lineage from foreign keys and
view SQL, view definitions as transformation code, and a schema version when the schema hash
moved. Runs inside the scan's transaction; returns the schema.changed events to publish."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from catalog_service.db.structure import StructureRepository
from catalog_service.domain.models import ScannedObject, schema_hash, schema_snapshot
from catalog_service.domain.refs import column_urn, object_ref, object_urn
from catalog_service.domain.versions import diff_snapshots, next_version
from catalog_service.domain.view_lineage import parse_view
from datacompass.catalog.v1 import catalog_pb2 as pb

ObjectIndex = dict[tuple[str, str], tuple[int, str, str]]  # (schema, name) -> (id, urn, type)


async def record_structure(
    repo: StructureRepository,
    source: Mapping[str, Any],
    written: Sequence[tuple[int, ScannedObject]],
    found: Sequence[ScannedObject],
    scan_id: int,
) -> list[pb.SchemaChanged]:
    if not written:
        return []
    known = await repo.object_ids(source["id"])
    columns_by_table = {obj.key: [c.name for c in obj.columns] for obj in found}
    constraint_rows: list[dict[str, Any]] = []
    index_rows: list[dict[str, Any]] = []
    edge_rows: list[dict[str, Any]] = []
    parse_rows: list[dict[str, Any]] = []
    for object_id, obj in written:
        urn = known[obj.key][1]
        constraint_rows.extend(_constraints(source, known, object_id, urn, obj))
        index_rows.extend(
            {
                "object_id": object_id,
                "name": i.name,
                "index_type": i.index_type,
                "is_unique": i.unique,
                "is_primary": i.primary,
                "columns": list(i.columns),
                "expressions": list(i.expressions),
                "predicate": i.predicate,
                "definition": i.definition,
            }
            for i in obj.indexes
        )
        edge_rows.extend(_fk_edges(known, object_id, obj))
        if obj.definition:
            edges, parse = _view_edges(known, columns_by_table, object_id, obj)
            edge_rows.extend(edges)
            parse_rows.append(parse)
    await repo.replace_scanned(
        [object_id for object_id, _ in written], constraint_rows, index_rows, edge_rows, parse_rows
    )
    await _record_code(repo, written)
    return await _record_versions(repo, known, written, scan_id, source["name"])


def _constraints(
    source: Mapping[str, Any], known: ObjectIndex, object_id: int, urn: str, obj: ScannedObject
) -> list[dict[str, Any]]:
    rows = []
    for con in obj.constraints:
        target_urn, target_cols = None, []
        if con.referenced_table:
            key = (con.referenced_schema or obj.schema, con.referenced_table)
            # A target outside the scanned schemas still gets its would-be URN.
            target_urn = (
                known[key][1]
                if key in known
                else object_urn(source["source_type"], "table", source["name"], *key)
            )
            target_cols = [column_urn(target_urn, c) for c in con.referenced_columns]
        rows.append(
            {
                "object_id": object_id,
                "origin": "scanned",
                "constraint_type": con.constraint_type,
                "name": con.name,
                "columns": list(con.columns),
                "referenced_object_urn": target_urn,
                "referenced_column_urns": target_cols,
                "on_delete": con.on_delete,
                "on_update": con.on_update,
                "check_expression": con.check_expression,
                "default_expression": con.default_expression,
                "deferrable": con.deferrable,
                "enforced": con.enforced,
            }
        )
    return rows


def _edge(
    upstream_id: int,
    downstream_id: int,
    edge_type: str,
    origin: str,
    upstream_column: str = "",
    downstream_column: str = "",
    confidence: float = 1.0,
) -> dict[str, Any]:
    return {
        "upstream_id": upstream_id,
        "downstream_id": downstream_id,
        "edge_type": edge_type,
        "upstream_column": upstream_column,
        "downstream_column": downstream_column,
        "origin": origin,
        "confidence": confidence,
    }


def _fk_edges(known: ObjectIndex, object_id: int, obj: ScannedObject) -> list[dict[str, Any]]:
    """A foreign key: the referenced table is upstream of the referencing one ("references")."""
    rows = []
    for con in obj.constraints:
        if con.constraint_type != "foreign_key" or not con.referenced_table:
            continue
        target = known.get((con.referenced_schema or obj.schema, con.referenced_table))
        if target is None:
            continue
        rows.append(_edge(target[0], object_id, "references", "foreign_key"))
        for up_col, down_col in zip(con.referenced_columns, con.columns, strict=False):
            rows.append(_edge(target[0], object_id, "references", "foreign_key", up_col, down_col))
    return rows


def _view_edges(
    known: ObjectIndex,
    columns_by_table: dict[tuple[str, str], list[str]],
    object_id: int,
    obj: ScannedObject,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    parsed = parse_view(obj.definition or "", columns_by_table)
    rows: list[dict[str, Any]] = []
    unresolved = sorted({f"{s}.{t}" for s, t in parsed.tables if (s, t) not in known})
    for key in parsed.tables:
        if key in known and known[key][0] != object_id:
            rows.append(
                _edge(known[key][0], object_id, "flows_to", "view", confidence=parsed.confidence)
            )
    for col in parsed.columns:
        upstream = known.get(col.upstream)
        if upstream is not None and upstream[0] != object_id:
            rows.append(
                _edge(
                    upstream[0],
                    object_id,
                    "derived_from",
                    "view",
                    col.upstream_column,
                    col.downstream_column,
                    parsed.confidence,
                )
            )
    parse = {
        "object_id": object_id,
        "confidence": parsed.confidence,
        "error": parsed.error,
        "unresolved": unresolved,
    }
    return rows, parse


async def _record_code(
    repo: StructureRepository, written: Sequence[tuple[int, ScannedObject]]
) -> None:
    views = [(i, o) for i, o in written if o.definition]
    latest = await repo.latest_scanned_code([i for i, _ in views])
    rows = []
    for object_id, obj in views:
        code = obj.definition or ""
        digest = code_hash(code)
        if latest.get(object_id) != digest:
            rows.append(
                {
                    "object_id": object_id,
                    "origin": "scanned",
                    "language": "sql",
                    "code_text": code,
                    "code_hash": digest,
                }
            )
    await repo.insert_code(rows)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def _record_versions(
    repo: StructureRepository,
    known: ObjectIndex,
    written: Sequence[tuple[int, ScannedObject]],
    scan_id: int,
    source_name: str,
) -> list[pb.SchemaChanged]:
    current = await repo.current_versions([object_id for object_id, _ in written])
    rows: list[dict[str, Any]] = []
    events: list[pb.SchemaChanged] = []
    for object_id, obj in written:
        digest = schema_hash(obj)
        previous = current.get(object_id)
        if previous is not None and previous["schema_hash"] == digest:
            continue  # a comment or owner changed: not a new version
        snapshot = schema_snapshot(obj)
        if previous is None:
            rows.append(_version_row(object_id, 1, "1.0.0", digest, snapshot, "created", scan_id))
            continue
        diff = diff_snapshots(previous["schema_snapshot"], snapshot)
        version = next_version(previous["version"], diff.bump)
        row = _version_row(
            object_id,
            previous["version_number"] + 1,
            version,
            digest,
            snapshot,
            "schema_change",
            scan_id,
        )
        row.update(
            changes=[c.as_dict() for c in diff.changes],
            change_summary=diff.summary(),
            breaking=diff.breaking,
        )
        rows.append(row)
        events.append(
            pb.SchemaChanged(
                object_urn=known[obj.key][1],
                ref=object_ref(source_name, obj.schema, obj.name),
                version=version,
                previous_version=previous["version"],
                breaking=diff.breaking,
                bump=diff.bump,
                changes=[
                    pb.SchemaChange(
                        kind=c.kind, target=c.target, detail=c.detail, breaking=c.breaking
                    )
                    for c in diff.changes
                ],
                scan_id=scan_id,
            )
        )
    await repo.insert_versions(rows)
    return events


def _version_row(
    object_id: int,
    number: int,
    version: str,
    schema_hash: str,
    snapshot: dict[str, Any],
    change_type: str,
    scan_id: int,
) -> dict[str, Any]:
    return {
        "object_id": object_id,
        "version_number": number,
        "version": version,
        "schema_hash": schema_hash,
        "schema_snapshot": snapshot,
        "change_type": change_type,
        "changes": [],
        "change_summary": "",
        "breaking": False,
        "scan_id": scan_id,
    }
