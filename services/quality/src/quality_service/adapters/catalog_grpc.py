"""The catalog, as the quality use cases see it, over the catalog's gRPC API."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import grpc
from google.protobuf import json_format

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import refs_pb2
from dckit.clock import Clock, utc_now
from dckit.errors import InvalidArgument, NotFound
from dckit.grpc_client import upstream_error
from dckit.ttl_cache import TtlCache
from quality_service.domain.objects import CatalogObject, ObjectName


def object_ref(name: ObjectName) -> refs_pb2.ObjectRef:
    if name.urn:
        return refs_pb2.ObjectRef(urn=name.urn)
    if name.ref:
        return refs_pb2.ObjectRef(qualified_name=name.ref)
    return refs_pb2.ObjectRef(id=name.id)


def cache_keys(obj: cpb.CatalogObject) -> tuple[tuple[str, object], ...]:
    """Every name an object can be asked for by (`ObjectName` fields)."""
    return (("urn", obj.urn), ("ref", obj.ref), ("id", obj.id))


def name_key(name: ObjectName) -> tuple[str, object]:
    if name.urn:
        return ("urn", name.urn)
    if name.ref:
        return ("ref", name.ref)
    return ("id", name.id)


class GrpcCatalog:
    """Object lookups are kept for `cache_seconds` (one capsule read asks for the same object
    many times); reads (`cached=True`, and a ref's URN) use them, writes and runs ask again.
    Sources' connections are never cached."""

    def __init__(
        self,
        stub: catalog_pb2_grpc.CatalogServiceStub,
        *,
        cache_seconds: float = 0.0,
        clock: Clock = utc_now,
    ) -> None:
        self.stub = stub
        self.cache: TtlCache[cpb.CatalogObject] = TtlCache(cache_seconds, clock=clock)

    async def _get(self, name: ObjectName, *, cached: bool) -> cpb.CatalogObject:
        if not name:
            raise InvalidArgument("capsule: an object ref or URN is required")
        known = self.cache.get(name_key(name)) if cached else None
        if known is not None:
            return known
        try:
            obj = await self.stub.GetObject(cpb.GetObjectRequest(ref=object_ref(name)))
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc, f"object {str(name)!r} is not in the catalog") from exc
        if not obj.deleted:
            self.cache.put(obj, name_key(name), *cache_keys(obj))
        return obj

    async def object(
        self, name: ObjectName, *, structure: bool = False, cached: bool = False
    ) -> CatalogObject:
        obj = await self._get(name, cached=cached)
        if obj.deleted:
            raise NotFound(f"object {obj.ref!r} no longer exists at its source")
        plain = CatalogObject(
            ref=obj.ref,
            urn=obj.urn,
            source_name=obj.source_name,
            source_type=obj.source_type,
            schema=obj.schema_name,
            name=obj.name,
            columns={c.name: c.data_type for c in obj.columns},
        )
        return await self._with_structure(plain) if structure else plain

    async def urn(self, name: ObjectName) -> str:
        if name.urn:
            return name.urn
        try:
            return (await self._get(name, cached=True)).urn
        except NotFound:
            return ""

    async def _with_structure(self, obj: CatalogObject) -> CatalogObject:
        ref = refs_pb2.ObjectRef(urn=obj.urn)
        try:
            indexes = await self.stub.ListIndexes(cpb.ListIndexesRequest(ref=ref))
            constraints = await self.stub.ListConstraints(cpb.ListConstraintsRequest(ref=ref))
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc, f"object {obj.ref!r} is not in the catalog") from exc
        primary_key = next(
            (tuple(c.columns) for c in constraints.items if c.constraint_type == "primary_key"),
            (),
        )
        leading = frozenset(
            i.columns[0]
            for i in indexes.items
            if i.index_type == "btree" and i.columns and i.columns[0] and not i.predicate
        )
        return replace(obj, range_indexed=leading, primary_key=primary_key)

    async def connection(self, source_name: str) -> tuple[str, dict[str, Any]]:
        try:
            got = await self.stub.GetSourceConnection(
                cpb.GetSourceConnectionRequest(name=source_name)
            )
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc, f"source {source_name!r} is not in the catalog") from exc
        connection = json_format.MessageToDict(got.connection)
        if "port" in connection:  # Struct numbers are doubles
            connection["port"] = int(connection["port"])
        return got.source_type, connection


def _translate(exc: grpc.aio.AioRpcError, not_found: str) -> Exception:
    return upstream_error(exc, "catalog", not_found)
