"""CatalogService servicer: translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from catalog_service.api import mappers as m
from catalog_service.application.objects import ObjectUseCases
from catalog_service.application.scans import ScanUseCases
from catalog_service.application.sources import SourceUseCases
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import paging_pb2

Ctx: TypeAlias = grpc.aio.ServicerContext


def _page(cursor: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_cursor=cursor)


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(
        self, sources: SourceUseCases, scans: ScanUseCases, objects: ObjectUseCases
    ) -> None:
        self.sources, self.scans, self.objects = sources, scans, objects

    async def CreateSource(self, request: pb.CreateSourceRequest, context: Ctx) -> pb.Source:
        row, last = await self.sources.create(
            request.name,
            request.source_type,
            request.description,
            m.from_struct(request.connection),
        )
        return m.source(row, last)

    async def ListSources(
        self, request: pb.ListSourcesRequest, context: Ctx
    ) -> pb.ListSourcesResponse:
        items, cursor = await self.sources.page(request.page.limit, request.page.cursor)
        return pb.ListSourcesResponse(items=[m.source(r, s) for r, s in items], page=_page(cursor))

    async def GetSource(self, request: pb.GetSourceRequest, context: Ctx) -> pb.Source:
        return m.source(*await self.sources.get(request.name))

    async def UpdateSource(self, request: pb.UpdateSourceRequest, context: Ctx) -> pb.Source:
        row, last = await self.sources.update(
            request.name,
            list(request.update_mask.paths),
            request.description,
            m.from_struct(request.connection),
        )
        return m.source(row, last)

    async def DeleteSource(
        self, request: pb.DeleteSourceRequest, context: Ctx
    ) -> pb.DeleteSourceResponse:
        return pb.DeleteSourceResponse(objects_deleted=await self.sources.delete(request.name))

    async def StartScan(self, request: pb.StartScanRequest, context: Ctx) -> pb.ScanRun:
        return m.scan_run(await self.scans.start(request.source_name, wait=request.wait))

    async def GetScan(self, request: pb.GetScanRequest, context: Ctx) -> pb.ScanRun:
        return m.scan_run(await self.scans.get(request.id))

    async def ListScans(self, request: pb.ListScansRequest, context: Ctx) -> pb.ListScansResponse:
        rows, cursor = await self.scans.page(
            request.source_name, request.page.limit, request.page.cursor
        )
        return pb.ListScansResponse(items=[m.scan_run(r) for r in rows], page=_page(cursor))

    async def ListObjects(
        self, request: pb.ListObjectsRequest, context: Ctx
    ) -> pb.ListObjectsResponse:
        rows, cursor = await self.objects.page(
            query=request.query,
            source=request.source_name,
            object_type=request.object_type,
            include_deleted=request.include_deleted,
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        return pb.ListObjectsResponse(items=[m.catalog_object(r) for r in rows], page=_page(cursor))

    async def GetObject(self, request: pb.GetObjectRequest, context: Ctx) -> pb.CatalogObject:
        row, columns = await self.objects.get(m.ref_string(request.ref))
        return m.catalog_object(row, columns)

    async def UpdateObject(self, request: pb.UpdateObjectRequest, context: Ctx) -> pb.CatalogObject:
        row, columns = await self.objects.update(
            m.ref_string(request.ref),
            list(request.update_mask.paths),
            request.description,
            list(request.tags),
        )
        return m.catalog_object(row, columns)

    async def ListColumns(
        self, request: pb.ListColumnsRequest, context: Ctx
    ) -> pb.ListColumnsResponse:
        cols, cursor = await self.objects.columns(
            m.ref_string(request.ref), request.page.limit, request.page.cursor
        )
        return pb.ListColumnsResponse(items=[m.column(c) for c in cols], page=_page(cursor))
