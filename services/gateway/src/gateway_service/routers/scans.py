"""Metadata scans: start one (optionally waiting for it), list a source's runs, get a run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service import mappers as m
from gateway_service import schemas
from gateway_service.deps import Catalog, PageParams, Settings

router = APIRouter(tags=["scans"])


@router.post(
    "/sources/{name}/scans",
    response_model=schemas.ScanRun,
    status_code=202,
    responses={201: {"model": schemas.ScanRun, "description": "Finished run (with `wait`)"}},
    summary="Start a metadata scan",
)
async def start_scan(
    name: str,
    catalog: Catalog,
    settings: Settings,
    response: Response,
    wait: Annotated[bool, Query(description="block until the scan has finished")] = False,
) -> schemas.ScanRun:
    timeout = settings.scan_wait_timeout_seconds if wait else settings.rpc_timeout_seconds
    run = await catalog.StartScan(pb.StartScanRequest(source_name=name, wait=wait), timeout=timeout)
    response.status_code = 201 if wait else 202
    return m.scan_run(run)


@router.get(
    "/sources/{name}/scans",
    response_model=schemas.ScanRunPage,
    summary="List a source's scans (newest first)",
)
async def list_scans(name: str, catalog: Catalog, page: PageParams) -> schemas.ScanRunPage:
    resp = await catalog.ListScans(
        pb.ListScansRequest(source_name=name, page=m.page_request(page.limit, page.cursor))
    )
    return schemas.ScanRunPage(
        items=[m.scan_run(r) for r in resp.items], next_cursor=m.next_cursor(resp.page)
    )


@router.get("/scans/{scan_id}", response_model=schemas.ScanRun, summary="Get a scan run")
async def get_scan(
    scan_id: Annotated[int, Path(ge=1, le=m.INT64_MAX)], catalog: Catalog
) -> schemas.ScanRun:
    return m.scan_run(await catalog.GetScan(pb.GetScanRequest(id=scan_id)))


@router.post(
    "/scans/{scan_id}/cancel",
    response_model=schemas.ScanRun,
    status_code=202,
    summary="Cancel a running scan",
    description="The scan stops within about a second and ends `cancelled`; 400 if it is "
    "not running.",
)
async def cancel_scan(
    scan_id: Annotated[int, Path(ge=1, le=m.INT64_MAX)], catalog: Catalog
) -> schemas.ScanRun:
    return m.scan_run(await catalog.CancelScan(pb.CancelScanRequest(id=scan_id)))
