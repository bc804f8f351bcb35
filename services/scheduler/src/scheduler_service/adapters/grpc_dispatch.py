"""Dispatch over gRPC: a metadata_scan starts a catalog scan, a dq_run starts a quality run,
a quality_check runs an object's quality rules. Status codes are sorted into transient (worth
a retry) and permanent failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc

from datacompass.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from datacompass.quality.v1 import checks_pb2, quality_pb2, quality_pb2_grpc
from dckit.protoconv import struct
from scheduler_service.application.ports import Dispatched, DispatchFailed
from scheduler_service.domain.schedules import DQ_RUN, METADATA_SCAN, QUALITY_CHECK

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
        *,
        check_timeout_seconds: float = 600.0,
    ) -> None:
        self.catalog, self.quality = catalog, quality
        self.check_timeout_seconds = check_timeout_seconds

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
            if task_type == QUALITY_CHECK:
                # A check run answers when it has finished: its statements bound its length.
                check = await self.quality.RunChecks(
                    checks_pb2.RunChecksRequest(
                        object_ref=params["object_ref"],
                        execution_context=struct({"trigger": "schedule"}),
                    ),
                    timeout=self.check_timeout_seconds,
                )
                return Dispatched(
                    str(check.id),
                    {
                        "check_run_id": check.id,
                        "object_ref": check.object_ref,
                        "status": check.status,
                        "passed": check.passed,
                        "failed": check.failed,
                        "quality_score": check.quality_score,
                    },
                )
        except grpc.aio.AioRpcError as exc:
            owner = "catalog" if task_type == METADATA_SCAN else "quality"
            raise DispatchFailed(
                f"{owner} answered {exc.code().name}: {exc.details() or ''}".rstrip(": "),
                transient=exc.code() in TRANSIENT,
            ) from exc
        raise DispatchFailed(f"no dispatcher for task type {task_type!r}", transient=False)
