"""The services that own the scheduled tasks, over gRPC: every call the scheduler makes to the
catalog and the quality service is here (application.ports.Owners). Status codes are sorted
into transient (worth a retry) and permanent failures."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import grpc

from datacompass.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from datacompass.quality.v1 import dq_pb2, dq_pb2_grpc, quality_rules_pb2, quality_rules_pb2_grpc
from dckit.protoconv import enum_text, struct
from dckit.protoconv import object_ref as object_ref_of
from scheduler_service.application.ports import Dispatched, DispatchFailed

T = TypeVar("T")

# ABORTED: the owner is busy with the same task (a scan or run already in progress).
TRANSIENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)


async def _call(owner: str, call: Awaitable[T]) -> T:
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        raise DispatchFailed(
            f"{owner} answered {exc.code().name}: {exc.details() or ''}".rstrip(": "),
            transient=exc.code() in TRANSIENT,
        ) from exc


class GrpcOwners:
    def __init__(
        self,
        catalog: catalog_pb2_grpc.CatalogServiceStub,
        dq: dq_pb2_grpc.DqServiceStub,
        quality_rules: quality_rules_pb2_grpc.QualityRulesServiceStub,
        *,
        check_timeout_seconds: float = 600.0,
    ) -> None:
        self.catalog, self.dq, self.quality_rules = catalog, dq, quality_rules
        self.check_timeout_seconds = check_timeout_seconds

    async def start_scan(self, *, source_name: str) -> Dispatched:
        request = catalog_pb2.StartScanRequest(source_name=source_name, wait=False)
        scan = await _call("catalog", self.catalog.StartScan(request))
        return Dispatched(
            str(scan.id),
            {
                "scan_id": scan.id,
                "source_name": scan.source_name,
                "status": catalog_pb2.ScanStatus.Name(scan.status),
            },
        )

    async def start_dq_run(self, *, object_ref: str, days: int) -> Dispatched:
        request = dq_pb2.StartRunRequest(object=object_ref_of(object_ref), days=days)
        run = await _call("quality", self.dq.StartRun(request))
        return Dispatched(
            str(run.id),
            {
                "run_id": run.id,
                "object_ref": run.object_ref,
                "status": enum_text(dq_pb2.DqRunStatus, run.status),
                "start_date": run.start_date,
                "end_date": run.end_date,
            },
        )

    async def run_checks(self, *, object_ref: str) -> Dispatched:
        request = quality_rules_pb2.RunChecksRequest(
            object=object_ref_of(object_ref), execution_context=struct({"trigger": "schedule"})
        )
        # A check run answers when it has finished: its statements bound its length.
        check = await _call(
            "quality", self.quality_rules.RunChecks(request, timeout=self.check_timeout_seconds)
        )
        return Dispatched(
            str(check.id),
            {
                "check_run_id": check.id,
                "object_ref": check.object_ref,
                "status": enum_text(quality_rules_pb2.CheckRunStatus, check.status),
                "passed": check.passed,
                "failed": check.failed,
                "quality_score": check.quality_score,
            },
        )
