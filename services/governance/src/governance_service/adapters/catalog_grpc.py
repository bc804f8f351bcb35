"""The catalog, as governance sees it, over the catalog's gRPC API (never its tables)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import paging_pb2
from dckit.clock import Clock, utc_now
from dckit.grpc_client import upstream_error
from dckit.protoconv import object_ref, ref_text
from dckit.ttl_cache import TtlCache
from governance_service.application.ports import CatalogColumn, CatalogObject

PAGE = 200


class GrpcCatalog:
    """Object lookups are kept for `cache_seconds` (one capsule read asks for the same object
    many times, by ref and by URN); only reads (`cached=True`) use them, and `forget` drops
    them when the catalog says an object changed."""

    def __init__(
        self,
        stub: catalog_pb2_grpc.CatalogServiceStub,
        *,
        cache_seconds: float = 0.0,
        clock: Clock = utc_now,
    ) -> None:
        self.stub = stub
        # An object under each of its names (ref, URN, id), with those names.
        self.cache: TtlCache[tuple[CatalogObject, tuple[str, ...]]] = TtlCache(
            cache_seconds, clock=clock
        )

    async def get(self, ref: str, *, cached: bool = False) -> CatalogObject:
        key = ref_text(object_ref(ref))
        known = self.cache.get(key) if cached else None
        if known is not None:
            return known[0]
        try:
            obj = await self.stub.GetObject(cpb.GetObjectRequest(ref=object_ref(ref)))
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc, f"object {ref!r} is not in the catalog") from exc
        found, names = _plain(obj), (key, obj.urn, obj.ref, str(obj.id))
        self.cache.put((found, names), *names)
        return found

    def forget(self, name: str = "") -> None:
        """Drop the lookup of the object `name` names (under all its names), or every lookup."""
        if not name:
            self.cache.clear()
            return
        key = ref_text(object_ref(name))
        known = self.cache.get(key)
        for each in known[1] if known else (key,):
            self.cache.discard(each)

    async def refs(self, source_name: str = "") -> AsyncIterator[str]:
        """Every live object's ref, one page at a time."""
        cursor = ""
        while True:
            try:
                page = await self.stub.ListObjects(
                    cpb.ListObjectsRequest(
                        source_name=source_name,
                        page=paging_pb2.PageRequest(limit=PAGE, cursor=cursor),
                    )
                )
            except grpc.aio.AioRpcError as exc:
                raise _translate(exc, f"source {source_name!r} is not in the catalog") from exc
            for item in page.items:
                yield item.ref
            cursor = page.page.next_cursor
            if not cursor:
                return


def _plain(obj: cpb.CatalogObject) -> CatalogObject:
    return CatalogObject(
        ref=obj.ref,
        urn=obj.urn,
        source_name=obj.source_name,
        schema=obj.schema_name,
        name=obj.name,
        tags=frozenset(t.lower() for t in obj.tags),
        columns=tuple(CatalogColumn(c.name, c.urn, c.data_type) for c in obj.columns),
        source_type=obj.source_type,
    )


def _translate(exc: grpc.aio.AioRpcError, not_found: str) -> Exception:
    return upstream_error(exc, "catalog", not_found)
