"""`/sources`: create, list, get, update, delete data sources; their metadata scans: start one
(optionally waiting for it), list a source's runs, get or cancel a run."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query, Response
from google.protobuf import field_mask_pb2

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service.core.convert import page_of
from gateway_service.core.deps import Catalog, Id, PageParams, Settings
from gateway_service.sources import mappers as m
from gateway_service.sources import schemas as s

router = APIRouter()
SOURCES: list[str | Enum] = ["sources"]
SCANS: list[str | Enum] = ["scans"]


# ---------------------------------------------------------------- sources
@router.get("/sources", response_model=s.SourcePage, tags=SOURCES, summary="List sources")
async def list_sources(catalog: Catalog, page: PageParams) -> s.SourcePage:
    resp = await catalog.ListSources(pb.ListSourcesRequest(page=page.request()))
    return page_of(s.SourcePage, resp, m.source)


@router.post(
    "/sources", response_model=s.Source, status_code=201, tags=SOURCES, summary="Create a source"
)
async def create_source(body: s.SourceCreate, catalog: Catalog) -> s.Source:
    return m.source(await catalog.CreateSource(m.create_request(body)))


@router.get("/sources/{name}", response_model=s.Source, tags=SOURCES, summary="Get a source")
async def get_source(name: str, catalog: Catalog) -> s.Source:
    return m.source(await catalog.GetSource(pb.GetSourceRequest(name=name)))


@router.patch(
    "/sources/{name}",
    response_model=s.Source,
    tags=SOURCES,
    summary="Update a source (connection keys are merged into the stored ones)",
)
async def update_source(name: str, body: s.SourceUpdate, catalog: Catalog) -> s.Source:
    if not body.model_fields_set:  # nothing to change (an empty mask is refused by the catalog)
        return m.source(await catalog.GetSource(pb.GetSourceRequest(name=name)))
    mask = field_mask_pb2.FieldMask(paths=sorted(body.model_fields_set))
    return m.source(await catalog.UpdateSource(m.update_request(body, name=name, update_mask=mask)))


@router.delete(
    "/sources/{name}",
    response_model=s.SourceDeleted,
    tags=SOURCES,
    summary="Delete a source and its objects",
)
async def delete_source(name: str, catalog: Catalog) -> s.SourceDeleted:
    resp = await catalog.DeleteSource(pb.DeleteSourceRequest(name=name))
    return s.SourceDeleted(objects_deleted=resp.objects_deleted)


# ---------------------------------------------------------------- scans
@router.post(
    "/sources/{name}/scans",
    response_model=s.ScanRun,
    status_code=202,
    responses={201: {"model": s.ScanRun, "description": "Finished run (with `wait`)"}},
    tags=SCANS,
    summary="Start a metadata scan",
)
async def start_scan(
    name: str,
    catalog: Catalog,
    settings: Settings,
    response: Response,
    wait: Annotated[bool, Query(description="block until the scan has finished")] = False,
) -> s.ScanRun:
    timeout = settings.scan_wait_timeout_seconds if wait else settings.rpc_timeout_seconds
    run = await catalog.StartScan(pb.StartScanRequest(source_name=name, wait=wait), timeout=timeout)
    response.status_code = 201 if wait else 202
    return m.scan_run(run)


@router.get(
    "/sources/{name}/scans",
    response_model=s.ScanRunPage,
    tags=SCANS,
    summary="List a source's scans (newest first)",
)
async def list_scans(name: str, catalog: Catalog, page: PageParams) -> s.ScanRunPage:
    resp = await catalog.ListScans(pb.ListScansRequest(source_name=name, page=page.request()))
    return page_of(s.ScanRunPage, resp, m.scan_run)


@router.get("/scans/{scan_id}", response_model=s.ScanRun, tags=SCANS, summary="Get a scan run")
async def get_scan(scan_id: Id, catalog: Catalog) -> s.ScanRun:
    return m.scan_run(await catalog.GetScan(pb.GetScanRequest(id=scan_id)))


@router.post(
    "/scans/{scan_id}/cancel",
    response_model=s.ScanRun,
    status_code=202,
    tags=SCANS,
    summary="Cancel a running scan",
    description="The scan stops within about a second and ends `cancelled`; 400 if it is "
    "not running.",
)
async def cancel_scan(scan_id: Id, catalog: Catalog) -> s.ScanRun:
    return m.scan_run(await catalog.CancelScan(pb.CancelScanRequest(id=scan_id)))
