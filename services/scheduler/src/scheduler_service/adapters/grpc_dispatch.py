"""Dispatch over gRPC: a metadata_scan starts a catalog scan, a dq_run starts a quality run.
Status codes are sorted into transient (worth a retry) and permanent failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc

from datacompass.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from datacompass.quality.v1 import quality_pb2, quality_pb2_grpc
from scheduler_service.application.ports import Dispatched, DispatchFailed
from scheduler_service.domain.schedules import DQ_RUN, METADATA_SCAN

# ABORTED: the owner is busy with the same task (a scan or run already in progress).
TRANSIENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)


class GrpcDispatcher:
    def __init__(
        self,
        catalog: catalog_pb2_grpc.CatalogServiceStub,
        quality: quality_pb2_grpc.QualityServiceStub,
    ) -> None:
        self.catalog, self.quality = catalog, quality

    async def dispatch(self, task_type: str, params: Mapping[str, Any]) -> Dispatched:
        try:
            if task_type == METADATA_SCAN:
                scan = await self.catalog.StartScan(
                    catalog_pb2.StartScanRequest(source_name=params["source_name"], wait=False)
                )
                return Dispatched(
                    str(scan.id),
                    {
                        "scan_id": scan.id,
                        "source_name": scan.source_name,
                        "status": catalog_pb2.ScanStatus.Name(scan.status),
                    },
                )
            if task_type == DQ_RUN:
                run = await self.quality.StartRun(
                    quality_pb2.StartRunRequest(
                        object_ref=params["object_ref"], days=int(params.get("days", 0))
                    )
                )
                return Dispatched(
                    str(run.id),
                    {
                        "run_id": run.id,
                        "object_ref": run.object_ref,
                        "status": run.status,
                        "start_date": run.start_date,
                        "end_date": run.end_date,
                    },
                )
        except grpc.aio.AioRpcError as exc:
            owner = "catalog" if task_type == METADATA_SCAN else "quality"
            raise DispatchFailed(
                f"{owner} answered {exc.code().name}: {exc.details() or ''}".rstrip(": "),
                transient=exc.code() in TRANSIENT,
            ) from exc
        raise DispatchFailed(f"no dispatcher for task type {task_type!r}", transient=False)
