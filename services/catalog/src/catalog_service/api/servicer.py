"""CatalogService servicer: translates protobuf ↔ use cases, nothing more."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import grpc

from catalog_service.api import deprecations_mappers as dm
from catalog_service.api import lineage_mappers as lm
from catalog_service.api import objects_mappers as om
from catalog_service.api import scans_mappers as scm
from catalog_service.api import sources_mappers as sm
from catalog_service.api import structure_mappers as stm
from catalog_service.api.completeness_servicer import CompletenessServicer
from catalog_service.api.semantics_servicer import SemanticsServicer
from catalog_service.application.deprecations import DeprecationUseCases
from catalog_service.application.lineage import LineageUseCases
from catalog_service.application.objects import ObjectUseCases
from catalog_service.application.scans import ScanUseCases
from catalog_service.application.sources import SourceUseCases
from catalog_service.application.structure import StructureUseCases
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from datacompass.catalog.v1 import completeness_pb2 as kpb
from datacompass.catalog.v1 import semantics_pb2 as spb
from datacompass.common.v1 import paging_pb2
from dckit.protoconv import enum_text, from_struct, ref_text, struct
from dckit.summary import gather_parts

Ctx: TypeAlias = grpc.aio.ServicerContext

SUMMARY_LIMIT = 500  # lineage edges and term links in a capsule summary, unless asked


def _page(cursor: str) -> paging_pb2.PageResponse:
    return paging_pb2.PageResponse(next_cursor=cursor)


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(
        self,
        *,
        sources: SourceUseCases,
        scans: ScanUseCases,
        objects: ObjectUseCases,
        structure: StructureUseCases,
        lineage: LineageUseCases,
        deprecations: DeprecationUseCases,
        semantics: SemanticsServicer,
        completeness: CompletenessServicer,
    ) -> None:
        self.sources, self.scans, self.objects = sources, scans, objects
        self.structure, self.lineage, self.deprecations = structure, lineage, deprecations
        # GetCapsuleSummary answers their parts too.
        self.semantics, self.completeness = semantics, completeness

    async def _object(
        self, row: Mapping[str, Any], columns: Sequence[Mapping[str, Any]]
    ) -> pb.CatalogObject:
        """An object as GetObject/UpdateObject show it: with columns and open deprecation."""
        msg = om.catalog_object(row, columns)
        current = await self.deprecations.current(row["id"])
        if current is not None:
            msg.deprecation.CopyFrom(dm.deprecation(current))
        return msg

    # ------------------------------------------------------------ sources
    async def CreateSource(self, request: pb.CreateSourceRequest, context: Ctx) -> pb.Source:
        row, last = await self.sources.create(
            name=request.name,
            source_type=request.source_type,
            description=request.description,
            connection=from_struct(request.connection),
        )
        return sm.source(row, last)

    async def ListSources(
        self, request: pb.ListSourcesRequest, context: Ctx
    ) -> pb.ListSourcesResponse:
        items, cursor = await self.sources.page(request.page.limit, request.page.cursor)
        return pb.ListSourcesResponse(items=[sm.source(r, s) for r, s in items], page=_page(cursor))

    async def GetSource(self, request: pb.GetSourceRequest, context: Ctx) -> pb.Source:
        return sm.source(*await self.sources.get(request.name))

    async def GetSourceConnection(
        self, request: pb.GetSourceConnectionRequest, context: Ctx
    ) -> pb.SourceConnection:
        source_type, connection = await self.sources.connection(request.name)
        return pb.SourceConnection(
            name=request.name, source_type=source_type, connection=struct(connection)
        )

    async def UpdateSource(self, request: pb.UpdateSourceRequest, context: Ctx) -> pb.Source:
        row, last = await self.sources.update(
            name=request.name,
            fields=list(request.update_mask.paths),
            description=request.description,
            connection=from_struct(request.connection),
        )
        return sm.source(row, last)

    async def DeleteSource(
        self, request: pb.DeleteSourceRequest, context: Ctx
    ) -> pb.DeleteSourceResponse:
        return pb.DeleteSourceResponse(objects_deleted=await self.sources.delete(request.name))

    # ------------------------------------------------------------ scans
    async def StartScan(self, request: pb.StartScanRequest, context: Ctx) -> pb.ScanRun:
        return scm.scan_run(await self.scans.start(request.source_name, wait=request.wait))

    async def GetScan(self, request: pb.GetScanRequest, context: Ctx) -> pb.ScanRun:
        return scm.scan_run(await self.scans.get(request.id))

    async def CancelScan(self, request: pb.CancelScanRequest, context: Ctx) -> pb.ScanRun:
        return scm.scan_run(await self.scans.cancel(request.id))

    async def ListScans(self, request: pb.ListScansRequest, context: Ctx) -> pb.ListScansResponse:
        rows, cursor = await self.scans.page(
            source_name=request.source_name, limit=request.page.limit, cursor=request.page.cursor
        )
        return pb.ListScansResponse(items=[scm.scan_run(r) for r in rows], page=_page(cursor))

    # ------------------------------------------------------------ objects
    async def ListObjects(
        self, request: pb.ListObjectsRequest, context: Ctx
    ) -> pb.ListObjectsResponse:
        search = {
            "query": request.query,
            "source": request.source_name,
            "object_type": request.object_type,
            "include_deleted": request.include_deleted,
        }
        rows, cursor = await self.objects.page(
            **search, limit=request.page.limit, cursor=request.page.cursor
        )
        facets = await self.objects.facets(**search) if request.include_facets else {}
        return pb.ListObjectsResponse(
            items=[om.catalog_object(r) for r in rows], page=_page(cursor), facets=om.facets(facets)
        )

    async def GetObject(self, request: pb.GetObjectRequest, context: Ctx) -> pb.CatalogObject:
        return await self._object(*await self.objects.get(ref_text(request.ref)))

    async def UpdateObject(self, request: pb.UpdateObjectRequest, context: Ctx) -> pb.CatalogObject:
        row, columns = await self.objects.update(
            ref=ref_text(request.ref),
            fields=list(request.update_mask.paths),
            description=request.description,
            tags=list(request.tags),
            layer=request.layer,
        )
        return await self._object(row, columns)

    async def ListColumns(
        self, request: pb.ListColumnsRequest, context: Ctx
    ) -> pb.ListColumnsResponse:
        cols, cursor = await self.objects.columns(
            ref=ref_text(request.ref), limit=request.page.limit, cursor=request.page.cursor
        )
        return pb.ListColumnsResponse(items=[om.column(c) for c in cols], page=_page(cursor))

    async def GetCapsuleSummary(
        self, request: pb.GetCapsuleSummaryRequest, context: Ctx
    ) -> pb.CapsuleSummary:
        """Every part as its own RPC answers it, the parts at once (each its own transaction)."""
        ref = request.ref
        page = paging_pb2.PageRequest
        edges = request.lineage_edges or SUMMARY_LIMIT
        links = request.term_links or SUMMARY_LIMIT
        parts = await gather_parts(
            {
                "object": self.GetObject(pb.GetObjectRequest(ref=ref), context),
                "constraints": self.ListConstraints(pb.ListConstraintsRequest(ref=ref), context),
                "indexes": self.ListIndexes(pb.ListIndexesRequest(ref=ref), context),
                "versions": self.ListVersions(
                    pb.ListVersionsRequest(ref=ref, page=page(limit=1)), context
                ),
                "lineage": self.GetLineage(
                    pb.GetLineageRequest(ref=ref, depth=1, page=page(limit=edges)), context
                ),
                "term_links": self.semantics.ListTermLinks(
                    spb.ListTermLinksRequest(ref=ref, page=page(limit=links)), context
                ),
                "columns": self.semantics.ListColumnSemantics(
                    spb.ListColumnSemanticsRequest(ref=ref), context
                ),
                "completeness": self.completeness.GetCompleteness(
                    kpb.GetCompletenessRequest(ref=ref), context
                ),
            }
        )
        return pb.CapsuleSummary(**parts)

    # ------------------------------------------------------------ structure
    async def ListConstraints(
        self, request: pb.ListConstraintsRequest, context: Ctx
    ) -> pb.ListConstraintsResponse:
        rows = await self.structure.constraints(ref_text(request.ref))
        return pb.ListConstraintsResponse(items=[stm.constraint(r) for r in rows])

    async def AddConstraint(self, request: pb.AddConstraintRequest, context: Ctx) -> pb.Constraint:
        row = await self.structure.add_constraint(
            ref_text(request.ref), stm.constraint_spec(request)
        )
        return stm.constraint(row)

    async def ListIndexes(
        self, request: pb.ListIndexesRequest, context: Ctx
    ) -> pb.ListIndexesResponse:
        rows = await self.structure.indexes(ref_text(request.ref))
        return pb.ListIndexesResponse(items=[stm.index(r) for r in rows])

    async def ListVersions(
        self, request: pb.ListVersionsRequest, context: Ctx
    ) -> pb.ListVersionsResponse:
        rows, cursor = await self.structure.versions(
            ref=ref_text(request.ref), limit=request.page.limit, cursor=request.page.cursor
        )
        return pb.ListVersionsResponse(
            items=[stm.schema_version(r) for r in rows], page=_page(cursor)
        )

    async def GetVersion(self, request: pb.GetVersionRequest, context: Ctx) -> pb.SchemaVersion:
        row = await self.structure.version(ref=ref_text(request.ref), version=request.version)
        return stm.schema_version(row, with_schema=True)

    async def DiffVersions(self, request: pb.DiffVersionsRequest, context: Ctx) -> pb.SchemaDiff:
        old, new, diff = await self.structure.diff(
            ref=ref_text(request.ref),
            from_version=request.from_version,
            to_version=request.to_version,
        )
        return stm.schema_diff(old, new, diff)

    async def ListTransformationCode(
        self, request: pb.ListTransformationCodeRequest, context: Ctx
    ) -> pb.ListTransformationCodeResponse:
        rows, cursor = await self.structure.code(
            ref=ref_text(request.ref), limit=request.page.limit, cursor=request.page.cursor
        )
        return pb.ListTransformationCodeResponse(
            items=[stm.transformation_code(r) for r in rows], page=_page(cursor)
        )

    async def AddTransformationCode(
        self, request: pb.AddTransformationCodeRequest, context: Ctx
    ) -> pb.TransformationCode:
        row = await self.structure.add_code(ref_text(request.ref), stm.code_spec(request))
        return stm.transformation_code(row)

    # ------------------------------------------------------------ lineage
    async def GetLineage(
        self, request: pb.GetLineageRequest, context: Ctx
    ) -> pb.GetLineageResponse:
        found = await self.lineage.walk(
            ref=ref_text(request.ref),
            direction=request.direction,
            depth=request.depth,
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        return lm.lineage(found)

    async def AddLineageEdge(
        self, request: pb.AddLineageEdgeRequest, context: Ctx
    ) -> pb.LineageEdge:
        return lm.lineage_edge(await self.lineage.add_edge(lm.edge_spec(request)))

    # ------------------------------------------------------------ deprecations
    async def DeprecateObject(
        self, request: pb.DeprecateObjectRequest, context: Ctx
    ) -> pb.Deprecation:
        row = await self.deprecations.deprecate(
            ref=ref_text(request.ref),
            deadline=request.deadline,
            replacement=ref_text(request.replacement),
            message=request.message,
        )
        return dm.deprecation(row)

    async def ListDeprecations(
        self, request: pb.ListDeprecationsRequest, context: Ctx
    ) -> pb.ListDeprecationsResponse:
        status = enum_text(pb.DeprecationStatus, request.status)  # "" = any
        rows, cursor = await self.deprecations.page(
            status=status, limit=request.page.limit, cursor=request.page.cursor
        )
        return pb.ListDeprecationsResponse(
            items=[dm.deprecation(r) for r in rows], page=_page(cursor)
        )

    async def GetDeprecation(
        self, request: pb.GetDeprecationRequest, context: Ctx
    ) -> pb.Deprecation:
        return dm.deprecation(await self.deprecations.get(ref_text(request.ref)))

    async def WithdrawDeprecation(
        self, request: pb.WithdrawDeprecationRequest, context: Ctx
    ) -> pb.Deprecation:
        return dm.deprecation(await self.deprecations.withdraw(ref_text(request.ref)))
