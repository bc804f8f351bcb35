"""Lineage: `/objects/{ref}/lineage` walks edges up- or downstream (included before the
objects router, whose `/objects/{ref:path}` would otherwise swallow it); `/lineage/edges`
declares an edge the scans cannot see. This router also carries the `/deprecations` routes
(routers/deprecations.py), so the application includes them without another line in app.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service import mappers as m
from gateway_service import mappers_catalog_depth as md
from gateway_service import schemas_catalog_depth as s
from gateway_service.deps import Catalog, PageParams

router = APIRouter(tags=["lineage"])


@router.get(
    "/objects/{ref:path}/lineage",
    response_model=s.Lineage,
    summary="Lineage edges reachable from an object",
    description="Table edges (flows_to from views, references from foreign keys, declared) "
    "and column edges (derived_from), with each edge's hop distance.",
)
async def get_lineage(
    ref: str,
    catalog: Catalog,
    page: PageParams,
    direction: Annotated[
        s.Direction | None, Query(description="upstream, downstream, or both when omitted")
    ] = None,
    depth: Annotated[int, Query(ge=1, le=10, description="maximum hops")] = 3,
) -> s.Lineage:
    resp = await catalog.GetLineage(
        pb.GetLineageRequest(
            ref=m.object_ref(ref),
            direction=direction or "",
            depth=depth,
            page=m.page_request(page.limit, page.cursor),
        )
    )
    return md.lineage(resp)


@router.post(
    "/lineage/edges",
    response_model=s.LineageEdge,
    status_code=201,
    summary="Declare a lineage edge",
)
async def add_edge(body: s.LineageEdgeCreate, catalog: Catalog) -> s.LineageEdge:
    edge = await catalog.AddLineageEdge(
        pb.AddLineageEdgeRequest(
            upstream=body.upstream,
            downstream=body.downstream,
            edge_type=body.edge_type,
            upstream_column=body.upstream_column or "",
            downstream_column=body.downstream_column or "",
            confidence=body.confidence,
        )
    )
    return md.lineage_edge(edge)
