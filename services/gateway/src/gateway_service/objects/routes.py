"""`/objects`: search and list catalog objects, get one with its columns (and its quality and
completeness scores),
edit description and tags. `{ref}` is `source.schema.name`, a URN or a numeric id, so it is a
`path` parameter (names contain dots, URNs colons)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import grpc
from fastapi import APIRouter, Query
from google.protobuf import field_mask_pb2

from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import completeness_pb2 as cpb
from datacompass.catalog.v1.completeness_pb2_grpc import CompletenessServiceStub
from datacompass.quality.v1 import quality_rules_pb2 as qpb
from datacompass.quality.v1.quality_rules_pb2_grpc import QualityRulesServiceStub
from gateway_service.core.convert import object_ref, page_of
from gateway_service.core.deps import Catalog, Completeness, PageParams, QualityRules
from gateway_service.objects import mappers as m
from gateway_service.objects import schemas as s

router = APIRouter(prefix="/objects", tags=["objects"])
SCORE_TIMEOUT_SECONDS = 2.0

REF_DOC = "`source.schema.name`, URN (`urn:dcs:...`) or numeric id"


@router.get(
    "",
    response_model=s.CatalogObjectPage,
    response_model_exclude_unset=True,
    summary="Search / list catalog objects",
)
async def list_objects(
    catalog: Catalog,
    page: PageParams,
    q: Annotated[
        str,
        Query(
            description="ranked free text over name, ref, descriptions, column names, tags: "
            "exact name first, typos tolerated"
        ),
    ] = "",
    source: Annotated[str, Query(description="only this source's objects")] = "",
    object_type: Annotated[
        s.ObjectType | None, Query(alias="type", description="only this object type")
    ] = None,
    include_deleted: bool = False,
    facets: Annotated[
        bool, Query(description="also return counts per source, type, schema, tag")
    ] = False,
) -> s.CatalogObjectPage:
    resp = await catalog.ListObjects(
        pb.ListObjectsRequest(
            query=q,
            source_name=source,
            object_type=object_type or "",
            include_deleted=include_deleted,
            page=page.request(),
            include_facets=facets,
        )
    )
    result = page_of(s.CatalogObjectPage, resp, m.catalog_object)
    if facets:
        result.facets = {f.name: {c.value: c.count for c in f.counts} for f in resp.facets}
    return result


@router.get(
    "/{ref:path}/columns",
    response_model=s.ColumnPage,
    summary="List an object's columns",
    description=f"`ref`: {REF_DOC}.",
)
async def list_columns(ref: str, catalog: Catalog, page: PageParams) -> s.ColumnPage:
    resp = await catalog.ListColumns(
        pb.ListColumnsRequest(ref=object_ref(ref), page=page.request())
    )
    return page_of(s.ColumnPage, resp, m.column)


@router.get(
    "/{ref:path}",
    response_model=s.CatalogObjectWithDeprecation,
    summary="Get an object with its columns and deprecation",
    description=f"`ref`: {REF_DOC}.",
)
async def get_object(
    ref: str, catalog: Catalog, quality: QualityRules, completeness: Completeness
) -> s.CatalogObjectWithDeprecation:
    obj = await catalog.GetObject(pb.GetObjectRequest(ref=object_ref(ref)))
    out = m.catalog_object(obj, detail=True)
    out.quality_score, out.completeness_score = await asyncio.gather(
        _quality_score(quality, obj.urn), _completeness_score(completeness, obj.urn)
    )
    return out


async def _quality_score(quality: QualityRulesServiceStub, urn: str) -> float | None:
    """The object is served even when the quality service is down: the score is optional."""
    try:
        got = await quality.GetQualityScore(
            qpb.GetQualityScoreRequest(object=object_ref(urn)), timeout=SCORE_TIMEOUT_SECONDS
        )
    except grpc.aio.AioRpcError:
        return None
    return got.score if got.HasField("score") else None


async def _completeness_score(completeness: CompletenessServiceStub, urn: str) -> float | None:
    """The stored completeness score (one row read); optional like the quality score."""
    try:
        got = await completeness.GetCompleteness(
            cpb.GetCompletenessRequest(ref=object_ref(urn)), timeout=SCORE_TIMEOUT_SECONDS
        )
    except grpc.aio.AioRpcError:
        return None
    return got.score


@router.patch(
    "/{ref:path}",
    response_model=s.CatalogObjectWithDeprecation,
    summary="Edit an object's description and tags",
    description=f"`ref`: {REF_DOC}.",
)
async def update_object(
    ref: str, body: s.ObjectUpdate, catalog: Catalog
) -> s.CatalogObjectWithDeprecation:
    mask = field_mask_pb2.FieldMask(paths=sorted(body.model_fields_set))
    obj = await catalog.UpdateObject(m.update_request(body, ref=object_ref(ref), update_mask=mask))
    return m.catalog_object(obj, detail=True)
