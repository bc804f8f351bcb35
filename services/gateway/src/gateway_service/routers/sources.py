"""`/sources`: create, list, get, update, delete data sources."""

from __future__ import annotations

from fastapi import APIRouter
from google.protobuf import field_mask_pb2

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service import mappers as m
from gateway_service import schemas
from gateway_service.deps import Catalog, PageParams

router = APIRouter(prefix="/sources", tags=["sources"])


@router.get("", response_model=schemas.SourcePage, summary="List sources")
async def list_sources(catalog: Catalog, page: PageParams) -> schemas.SourcePage:
    resp = await catalog.ListSources(
        pb.ListSourcesRequest(page=m.page_request(page.limit, page.cursor))
    )
    return schemas.SourcePage(
        items=[m.source(s) for s in resp.items], next_cursor=m.next_cursor(resp.page)
    )


@router.post("", response_model=schemas.Source, status_code=201, summary="Create a source")
async def create_source(body: schemas.SourceCreate, catalog: Catalog) -> schemas.Source:
    resp = await catalog.CreateSource(
        pb.CreateSourceRequest(
            name=body.name,
            source_type=body.source_type,
            description=body.description,
            connection=m.to_struct(body.connection, "connection"),
        )
    )
    return m.source(resp)


@router.get("/{name}", response_model=schemas.Source, summary="Get a source")
async def get_source(name: str, catalog: Catalog) -> schemas.Source:
    return m.source(await catalog.GetSource(pb.GetSourceRequest(name=name)))


@router.patch(
    "/{name}",
    response_model=schemas.Source,
    summary="Update a source (connection keys are merged into the stored ones)",
)
async def update_source(name: str, body: schemas.SourceUpdate, catalog: Catalog) -> schemas.Source:
    paths = sorted(body.model_fields_set)
    request = pb.UpdateSourceRequest(
        name=name,
        description=body.description or "",
        update_mask=field_mask_pb2.FieldMask(paths=paths),
    )
    if body.connection is not None:
        request.connection.CopyFrom(m.to_struct(body.connection, "connection"))
    return m.source(await catalog.UpdateSource(request))


@router.delete(
    "/{name}", response_model=schemas.SourceDeleted, summary="Delete a source and its objects"
)
async def delete_source(name: str, catalog: Catalog) -> schemas.SourceDeleted:
    resp = await catalog.DeleteSource(pb.DeleteSourceRequest(name=name))
    return schemas.SourceDeleted(objects_deleted=resp.objects_deleted)
