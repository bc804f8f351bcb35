"""Lineage: `/objects/{ref}/lineage` walks edges up- or downstream; `/lineage/edges` declares an
edge the scans cannot see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service.core.convert import object_ref
from gateway_service.core.deps import Catalog, PageParams
from gateway_service.lineage import mappers as m
from gateway_service.lineage import schemas as s

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
            ref=object_ref(ref), direction=direction or "", depth=depth, page=page.request()
        )
    )
    return m.lineage(resp)


@router.post(
    "/lineage/edges",
    response_model=s.LineageEdge,
    status_code=201,
    summary="Declare a lineage edge",
)
async def add_edge(body: s.LineageEdgeCreate, catalog: Catalog) -> s.LineageEdge:
    return m.lineage_edge(await catalog.AddLineageEdge(m.add_edge_request(body)))
