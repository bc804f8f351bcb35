"""`/deprecations`: deprecation campaigns — deprecate an object with a deadline and an optional
replacement, list campaigns by status, show and withdraw an object's deprecation. `{ref}` is
`source.schema.name`, a URN or a numeric id (a `path` parameter: names contain dots)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service.core.convert import object_ref, page_of
from gateway_service.core.deps import Catalog, PageParams
from gateway_service.core.models import Deprecation, DeprecationStatus
from gateway_service.deprecations import mappers as m
from gateway_service.deprecations import schemas as s

router = APIRouter(prefix="/deprecations", tags=["deprecations"])


@router.post(
    "",
    response_model=Deprecation,
    status_code=201,
    summary="Deprecate an object (or change its open deprecation)",
    description="The deadline must not be in the past; a replacement must be in the catalog. "
    "`datacompass.catalog.deprecation.deadline_approaching` is sent 7 days and 1 day before "
    "the deadline (once each).",
)
async def deprecate(body: s.DeprecationCreate, catalog: Catalog) -> Deprecation:
    return m.deprecation(await catalog.DeprecateObject(m.deprecate_request(body)))


@router.get(
    "",
    response_model=s.DeprecationPage,
    summary="Deprecation campaigns, soonest deadline first",
)
async def list_deprecations(
    catalog: Catalog,
    page: PageParams,
    status: Annotated[
        DeprecationStatus | None, Query(description="only campaigns in this status")
    ] = None,
) -> s.DeprecationPage:
    resp = await catalog.ListDeprecations(
        pb.ListDeprecationsRequest(status=m.status(status), page=page.request())
    )
    return page_of(s.DeprecationPage, resp, m.deprecation)


@router.get(
    "/{ref:path}",
    response_model=Deprecation,
    summary="An object's deprecation (the open one, else the latest withdrawn one)",
)
async def get_deprecation(ref: str, catalog: Catalog) -> Deprecation:
    dep = await catalog.GetDeprecation(pb.GetDeprecationRequest(ref=object_ref(ref)))
    return m.deprecation(dep)


@router.delete(
    "/{ref:path}",
    response_model=Deprecation,
    summary="Withdraw an object's open deprecation",
)
async def withdraw_deprecation(ref: str, catalog: Catalog) -> Deprecation:
    dep = await catalog.WithdrawDeprecation(pb.WithdrawDeprecationRequest(ref=object_ref(ref)))
    return m.deprecation(dep)
