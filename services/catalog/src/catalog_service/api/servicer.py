"""CatalogService servicer: translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

from catalog_service.api import mappers as m
from catalog_service.application.deprecations import DeprecationUseCases
from catalog_service.application.objects import ObjectUseCases
from catalog_service.application.scans import ScanUseCases
from catalog_service.application.sources import SourceUseCases
from catalog_service.application.structure import StructureUseCases
from catalog_service.db.repository import Row
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.common.v1 import paging_pb2

Ctx: TypeAlias = grpc.aio.ServicerContext


def _page(cursor: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_cursor=cursor)


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(
        self,
        sources: SourceUseCases,
        scans: ScanUseCases,
        objects: ObjectUseCases,
        structure: StructureUseCases,
        deprecations: DeprecationUseCases,
    ) -> None:
        self.sources, self.scans, self.objects = sources, scans, objects
        self.structure, self.deprecations = structure, deprecations

    async def _object(self, row: Row, columns: list[dict[str, Any]]) -> pb.CatalogObject:
        """An object as GetObject/UpdateObject show it: with columns and open deprecation."""
        msg = m.catalog_object(row, columns)
        current = await self.deprecations.current(row["id"])
        if current is not None:
            msg.deprecation.CopyFrom(m.deprecation(current))
        return msg

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

    async def GetSourceConnection(
        self, request: pb.GetSourceConnectionRequest, context: Ctx
    ) -> pb.SourceConnection:
        source_type, connection = await self.sources.connection(request.name)
        return pb.SourceConnection(
            name=request.name, source_type=source_type, connection=m.struct(connection)
        )

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

    async def CancelScan(self, request: pb.CancelScanRequest, context: Ctx) -> pb.ScanRun:
        return m.scan_run(await self.scans.cancel(request.id))

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
        facets = (
            await self.objects.facets(
                query=request.query,
                source=request.source_name,
                object_type=request.object_type,
                include_deleted=request.include_deleted,
            )
            if request.include_facets
            else {}
        )
        return pb.ListObjectsResponse(
            items=[m.catalog_object(r) for r in rows], page=_page(cursor), facets=m.facets(facets)
        )

    async def GetObject(self, request: pb.GetObjectRequest, context: Ctx) -> pb.CatalogObject:
        row, columns = await self.objects.get(m.ref_string(request.ref))
        return await self._object(row, columns)

    async def UpdateObject(self, request: pb.UpdateObjectRequest, context: Ctx) -> pb.CatalogObject:
        row, columns = await self.objects.update(
            m.ref_string(request.ref),
            list(request.update_mask.paths),
            request.description,
            list(request.tags),
        )
        return await self._object(row, columns)

    async def ListColumns(
        self, request: pb.ListColumnsRequest, context: Ctx
    ) -> pb.ListColumnsResponse:
        cols, cursor = await self.objects.columns(
            m.ref_string(request.ref), request.page.limit, request.page.cursor
        )
        return pb.ListColumnsResponse(items=[m.column(c) for c in cols], page=_page(cursor))

    async def ListConstraints(
        self, request: pb.ListConstraintsRequest, context: Ctx
    ) -> pb.ListConstraintsResponse:
        _, rows = await self.structure.constraints(m.ref_string(request.ref))
        return pb.ListConstraintsResponse(items=[m.constraint(r) for r in rows])

    async def AddConstraint(self, request: pb.AddConstraintRequest, context: Ctx) -> pb.Constraint:
        spec = {
            "constraint_type": request.constraint_type,
            "name": request.name,
            "columns": list(request.columns),
            "referenced_object": request.referenced_object,
            "referenced_columns": list(request.referenced_columns),
            "on_delete": request.on_delete,
            "on_update": request.on_update,
            "check_expression": request.check_expression,
            "default_expression": request.default_expression,
        }
        return m.constraint(await self.structure.add_constraint(m.ref_string(request.ref), spec))

    async def ListIndexes(
        self, request: pb.ListIndexesRequest, context: Ctx
    ) -> pb.ListIndexesResponse:
        rows = await self.structure.indexes(m.ref_string(request.ref))
        return pb.ListIndexesResponse(items=[m.index(r) for r in rows])

    async def ListVersions(
        self, request: pb.ListVersionsRequest, context: Ctx
    ) -> pb.ListVersionsResponse:
        rows, cursor = await self.structure.versions(
            m.ref_string(request.ref), request.page.limit, request.page.cursor
        )
        return pb.ListVersionsResponse(
            items=[m.schema_version(r) for r in rows], page=_page(cursor)
        )

    async def GetVersion(self, request: pb.GetVersionRequest, context: Ctx) -> pb.SchemaVersion:
        row = await self.structure.version(m.ref_string(request.ref), request.version)
        return m.schema_version(row, with_schema=True)

    async def DiffVersions(self, request: pb.DiffVersionsRequest, context: Ctx) -> pb.SchemaDiff:
        old, new, result = await self.structure.diff(
            m.ref_string(request.ref), request.from_version, request.to_version
        )
        return m.schema_diff(old, new, result)

    async def GetLineage(
        self, request: pb.GetLineageRequest, context: Ctx
    ) -> pb.GetLineageResponse:
        found = await self.structure.lineage(
            m.ref_string(request.ref),
            request.direction,
            request.depth,
            request.page.limit,
            request.page.cursor,
        )
        return pb.GetLineageResponse(
            urn=found.urn,
            edges=[m.lineage_edge(e) for e in found.edges],
            view_parse=m.view_parse(found.view_parse),
            page=_page(found.cursor),
        )

    async def AddLineageEdge(
        self, request: pb.AddLineageEdgeRequest, context: Ctx
    ) -> pb.LineageEdge:
        edge = await self.structure.add_edge(
            {
                "upstream": request.upstream,
                "downstream": request.downstream,
                "edge_type": request.edge_type,
                "upstream_column": request.upstream_column,
                "downstream_column": request.downstream_column,
                "confidence": request.confidence,
            }
        )
        return m.lineage_edge({**edge, "depth": 1})

    async def ListTransformationCode(
        self, request: pb.ListTransformationCodeRequest, context: Ctx
    ) -> pb.ListTransformationCodeResponse:
        rows, cursor = await self.structure.code(
            m.ref_string(request.ref), request.page.limit, request.page.cursor
        )
        return pb.ListTransformationCodeResponse(
            items=[m.transformation_code(r) for r in rows], page=_page(cursor)
        )

    async def AddTransformationCode(
        self, request: pb.AddTransformationCodeRequest, context: Ctx
    ) -> pb.TransformationCode:
        row = await self.structure.add_code(
            m.ref_string(request.ref),
            {
                "language": request.language,
                "code_text": request.code_text,
                "file_path": request.file_path,
                "git_repository": request.git_repository,
                "git_commit_sha": request.git_commit_sha,
                "git_branch": request.git_branch,
            },
        )
        return m.transformation_code(row)

    async def DeprecateObject(
        self, request: pb.DeprecateObjectRequest, context: Ctx
    ) -> pb.Deprecation:
        row = await self.deprecations.deprecate(
            m.ref_string(request.ref), request.deadline, request.replacement, request.message
        )
        return m.deprecation(row)

    async def ListDeprecations(
        self, request: pb.ListDeprecationsRequest, context: Ctx
    ) -> pb.ListDeprecationsResponse:
        rows, cursor = await self.deprecations.page(
            request.status, request.page.limit, request.page.cursor
        )
        return pb.ListDeprecationsResponse(
            items=[m.deprecation(r) for r in rows], page=_page(cursor)
        )

    async def GetDeprecation(
        self, request: pb.GetDeprecationRequest, context: Ctx
    ) -> pb.Deprecation:
        return m.deprecation(await self.deprecations.get(m.ref_string(request.ref)))

    async def WithdrawDeprecation(
        self, request: pb.WithdrawDeprecationRequest, context: Ctx
    ) -> pb.Deprecation:
        return m.deprecation(await self.deprecations.withdraw(m.ref_string(request.ref)))
