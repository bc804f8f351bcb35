"""CompletenessService servicer (metadata completeness): translates protobuf ↔ use cases."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from catalog_service.api.completeness_mappers import completeness
from catalog_service.application.completeness import CompletenessUseCases
from datacompass.catalog.v1 import completeness_pb2 as pb
from datacompass.catalog.v1 import completeness_pb2_grpc
from datacompass.common.v1 import paging_pb2
from dckit.protoconv import ref_text

Ctx: TypeAlias = grpc.aio.ServicerContext


class CompletenessServicer(completeness_pb2_grpc.CompletenessServiceServicer):
    def __init__(self, completeness: CompletenessUseCases) -> None:
        self.completeness = completeness

    async def ListCompleteness(
        self, request: pb.ListCompletenessRequest, context: Ctx
    ) -> pb.ListCompletenessResponse:
        filters = {
            "source": request.source_name,
            "domain": request.domain,
            "layer": request.layer,
            "owner": request.owner,
        }
        rows, cursor = await self.completeness.least_complete(
            filters, limit=request.page.limit, cursor=request.page.cursor
        )
        return pb.ListCompletenessResponse(
            items=[completeness(r) for r in rows],
            page=paging_pb2.PageResponse(next_cursor=cursor),
        )

    async def GetCompleteness(
        self, request: pb.GetCompletenessRequest, context: Ctx
    ) -> pb.Completeness:
        return completeness(await self.completeness.get(ref_text(request.ref)))
