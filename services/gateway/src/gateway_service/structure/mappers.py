"""Catalog structure messages (constraints, indexes, versions, code) ↔ REST models."""

from __future__ import annotations

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto, from_struct, object_ref
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


_add_constraint = ToProto(pb.AddConstraintRequest, s.ConstraintCreate, custom={"referenced_object"})


def add_constraint_request(body: s.ConstraintCreate, ref: str) -> pb.AddConstraintRequest:
    target = body.referenced_object
    return _add_constraint(
        body,
        ref=object_ref(ref),
        referenced_object=object_ref(target) if target is not None else None,
    )


add_code_request = ToProto(pb.AddTransformationCodeRequest, s.TransformationCodeCreate)
