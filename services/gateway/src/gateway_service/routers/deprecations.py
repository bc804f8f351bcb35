"""`/deprecations`: deprecation campaigns — deprecate an object with a deadline and an optional
replacement, list campaigns by status, show and withdraw an object's deprecation. `{ref}` is
`source.schema.name`, a URN or a numeric id (a `path` parameter: names contain dots)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service import mappers as m
from gateway_service import mappers_catalog_depth as md
from gateway_service import schemas_catalog_depth as s
from gateway_service.deps import Catalog, PageParams

router = APIRouter(prefix="/deprecations", tags=["deprecations"])


@router.post(
    "",
    response_model=s.Deprecation,
    status_code=201,
    summary="Deprecate an object (or change its open deprecation)",
    description="The deadline must not be in the past; a replacement must be in the catalog. "
    "`datacompass.catalog.deprecation.deadline_approaching` is sent 7 days and 1 day before "
    "the deadline (once each).",
)
async def deprecate(body: s.DeprecationCreate, catalog: Catalog) -> s.Deprecation:
    dep = await catalog.DeprecateObject(
        pb.DeprecateObjectRequest(
            ref=m.object_ref(body.ref),
            deadline=body.deadline.isoformat(),
            replacement=body.replacement or "",
            message=body.message,
        )
    )
    return md.deprecation(dep)


@router.get(
    "",
    response_model=s.DeprecationPage,
    summary="Deprecation campaigns, soonest deadline first",
)
async def list_deprecations(
    catalog: Catalog,
    page: PageParams,
    status: Annotated[
        s.DeprecationStatus | None, Query(description="only campaigns in this status")
    ] = None,
) -> s.DeprecationPage:
    resp = await catalog.ListDeprecations(
        pb.ListDeprecationsRequest(
            status=status or "", page=m.page_request(page.limit, page.cursor)
        )
    )
    return s.DeprecationPage(
        items=[md.deprecation(d) for d in resp.items], next_cursor=m.next_cursor(resp.page)
    )


@router.get(
    "/{ref:path}",
    response_model=s.Deprecation,
    summary="An object's deprecation (the open one, else the latest withdrawn one)",
)
async def get_deprecation(ref: str, catalog: Catalog) -> s.Deprecation:
    dep = await catalog.GetDeprecation(pb.GetDeprecationRequest(ref=m.object_ref(ref)))
    return md.deprecation(dep)


@router.delete(
    "/{ref:path}",
    response_model=s.Deprecation,
    summary="Withdraw an object's open deprecation",
)
async def withdraw_deprecation(ref: str, catalog: Catalog) -> s.Deprecation:
    dep = await catalog.WithdrawDeprecation(pb.WithdrawDeprecationRequest(ref=m.object_ref(ref)))
    return md.deprecation(dep)
