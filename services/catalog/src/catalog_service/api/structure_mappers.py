"""An object's structure (constraints, indexes, versions, diffs, transformation code) ↔
protobuf, and the payload of the schema.changed event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog_service.domain.structure import CodeSpec, ConstraintSpec, VersionChange
from catalog_service.domain.versions import SchemaDiff
from datacompass.catalog.v1 import catalog_pb2 as pb
from dckit.protoconv import message_values, ref_text, to_message


def constraint(row: Mapping[str, Any]) -> pb.Constraint:
    return to_message(pb.Constraint, row)


def index(row: Mapping[str, Any]) -> pb.Index:
    return to_message(pb.Index, row, unique=row["is_unique"], primary=row["is_primary"])


def schema_version(row: Mapping[str, Any], *, with_schema: bool = False) -> pb.SchemaVersion:
    return to_message(pb.SchemaVersion, row, schema=row["schema_snapshot"] if with_schema else None)


def _diff(diff: SchemaDiff) -> dict[str, Any]:
    return {
        "breaking": diff.breaking,
        "bump": diff.bump,
        "changes": [c.as_dict() for c in diff.changes],
    }


def schema_diff(old: Mapping[str, Any], new: Mapping[str, Any], diff: SchemaDiff) -> pb.SchemaDiff:
    return to_message(
        pb.SchemaDiff, _diff(diff), from_version=old["version"], to_version=new["version"]
    )


def schema_changed(change: VersionChange) -> pb.SchemaChanged:
    return to_message(pb.SchemaChanged, vars(change), **_diff(change.diff))


def transformation_code(row: Mapping[str, Any]) -> pb.TransformationCode:
    return to_message(pb.TransformationCode, row)


def constraint_spec(request: pb.AddConstraintRequest) -> ConstraintSpec:
    return ConstraintSpec(
        **message_values(request, exclude={"ref", "referenced_object"}),
        referenced_object=ref_text(request.referenced_object),
    )


def code_spec(request: pb.AddTransformationCodeRequest) -> CodeSpec:
    return CodeSpec(**message_values(request, exclude={"ref"}))
