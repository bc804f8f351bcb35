"""The catalog, as governance sees it, over the catalog's gRPC API (never its tables)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import paging_pb2
from dckit.grpc_client import upstream_error
from dckit.protoconv import object_ref
from governance_service.application.ports import CatalogColumn, CatalogObject

PAGE = 200


class GrpcCatalog:
    def __init__(self, stub: catalog_pb2_grpc.CatalogServiceStub) -> None:
        self.stub = stub

    async def get(self, ref: str) -> CatalogObject:
        try:
            obj = await self.stub.GetObject(cpb.GetObjectRequest(ref=object_ref(ref)))
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc, f"object {ref!r} is not in the catalog") from exc
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


def _translate(exc: grpc.aio.AioRpcError, not_found: str) -> Exception:
    return upstream_error(exc, "catalog", not_found)
