"""Catalog object and column messages ↔ REST models."""

from __future__ import annotations

from typing import Literal, overload

from datacompass.catalog.v1 import catalog_pb2 as pb
from dckit.protoconv import from_struct
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.objects import schemas as s

column = FromProto(s.Column, pb.Column)
# Metadata Structs keep their numbers as the catalog sends them (no whole-number rewrite).
_METADATA = {"source_metadata", "user_metadata"}
_summary = FromProto(
    s.CatalogObject, pb.CatalogObject, custom={"columns", *_METADATA}, ignore={"deprecation"}
)
_detail = FromProto(
    s.CatalogObjectWithDeprecation,
    pb.CatalogObject,
    custom={"quality_score", "completeness_score", *_METADATA},
)
update_request = ToProto(pb.UpdateObjectRequest, s.ObjectUpdate)


@overload
def catalog_object(msg: pb.CatalogObject, *, detail: Literal[False] = False) -> s.CatalogObject: ...
@overload
def catalog_object(
    msg: pb.CatalogObject, *, detail: Literal[True]
) -> s.CatalogObjectWithDeprecation: ...
def catalog_object(msg: pb.CatalogObject, *, detail: bool = False) -> s.CatalogObject:
    """An object as listed (no `columns` key: lists answer with exclude_unset), or in `detail`
    (`GET`/`PATCH /objects/{ref}`) with its columns and open deprecation."""
    metadata = {name: from_struct(getattr(msg, name)) for name in _METADATA}
    return _detail(msg, **metadata) if detail else _summary(msg, **metadata)
