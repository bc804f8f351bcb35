"""`/completeness`: the least complete capsules first, filtered by source, domain, layer or
owner; `/capsules/{urn}/completeness`: one capsule's score with its missing items. Scores are
kept current by events in the catalog; reading never recomputes them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from datacompass.catalog.v1 import completeness_pb2 as pb
from gateway_service.completeness import mappers as m
from gateway_service.completeness import schemas as s
from gateway_service.core.convert import object_ref, page_of
from gateway_service.core.deps import Completeness, PageParams

router = APIRouter(tags=["completeness"])


@router.get(
    "/completeness",
    response_model=s.CompletenessPage,
    summary="The least complete capsules first",
)
async def list_completeness(
    completeness: Completeness,
    page: PageParams,
    source: Annotated[str, Query(description="only this source's capsules")] = "",
    domain: Annotated[str, Query(description="only capsules of this domain")] = "",
    layer: Annotated[str, Query(description="only capsules in this layer")] = "",
    owner: Annotated[str, Query(description="only capsules with this owner or steward")] = "",
) -> s.CompletenessPage:
    resp = await completeness.ListCompleteness(
        pb.ListCompletenessRequest(
            source_name=source, domain=domain, layer=layer, owner=owner, page=page.request()
        )
    )
    return page_of(s.CompletenessPage, resp, m.completeness)


@router.get(
    "/capsules/{urn:path}/completeness",
    response_model=s.Completeness,
    summary="A capsule's metadata completeness",
)
async def get_completeness(urn: str, completeness: Completeness) -> s.Completeness:
    got = await completeness.GetCompleteness(pb.GetCompletenessRequest(ref=object_ref(urn)))
    return m.completeness(got)
