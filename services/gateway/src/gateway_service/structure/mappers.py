"""Catalog structure messages (constraints, indexes, versions, code) ↔ REST models."""

from __future__ import annotations

from datacompass.catalog.v1 import catalog_pb2 as pb
from dckit.protoconv import from_struct
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.structure import schemas as s

constraint = FromProto(s.Constraint, pb.Constraint)
index = FromProto(s.Index, pb.Index)
schema_diff = FromProto(s.SchemaDiff, pb.SchemaDiff)
transformation_code = FromProto(s.TransformationCode, pb.TransformationCode)
_schema_version = FromProto(s.SchemaVersion, pb.SchemaVersion, custom={"schema_"})


def schema_version(msg: pb.SchemaVersion) -> s.SchemaVersion:
    """The snapshot keeps its numbers as stored (no whole-number rewrite)."""
    snapshot = from_struct(msg.schema) if msg.HasField("schema") else None
    return _schema_version(msg, schema=snapshot)


add_constraint_request = ToProto(pb.AddConstraintRequest, s.ConstraintCreate)
add_code_request = ToProto(pb.AddTransformationCodeRequest, s.TransformationCodeCreate)
