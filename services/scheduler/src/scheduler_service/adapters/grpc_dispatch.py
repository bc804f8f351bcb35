"""Dispatch over gRPC: a metadata_scan starts a catalog scan, a dq_run starts a quality run,
a quality_check runs an object's quality rules. Status codes are sorted into transient (worth
a retry) and permanent failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc

from datacompass.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from datacompass.common.v1 import refs_pb2
from datacompass.quality.v1 import dq_pb2, dq_pb2_grpc, quality_rules_pb2, quality_rules_pb2_grpc
from dckit.protoconv import enum_text, struct
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
        dq: dq_pb2_grpc.DqServiceStub,
        quality_rules: quality_rules_pb2_grpc.QualityRulesServiceStub,
        *,
        check_timeout_seconds: float = 600.0,
    ) -> None:
        self.catalog, self.dq, self.quality_rules = catalog, dq, quality_rules
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
                run = await self.dq.StartRun(
                    dq_pb2.StartRunRequest(
                        object=_object(params["object_ref"]), days=int(params.get("days", 0))
                    )
                )
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
            if task_type == QUALITY_CHECK:
                # A check run answers when it has finished: its statements bound its length.
                check = await self.quality_rules.RunChecks(
                    quality_rules_pb2.RunChecksRequest(
                        object=_object(params["object_ref"]),
                        execution_context=struct({"trigger": "schedule"}),
                    ),
                    timeout=self.check_timeout_seconds,
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
        except grpc.aio.AioRpcError as exc:
            owner = "catalog" if task_type == METADATA_SCAN else "quality"
            raise DispatchFailed(
                f"{owner} answered {exc.code().name}: {exc.details() or ''}".rstrip(": "),
                transient=exc.code() in TRANSIENT,
            ) from exc
        raise DispatchFailed(f"no dispatcher for task type {task_type!r}", transient=False)


def _object(ref: str) -> refs_pb2.ObjectRef:
    """A schedule's object: its URN or `source.schema.name`."""
    if ref.startswith("urn:"):
        return refs_pb2.ObjectRef(urn=ref)
    return refs_pb2.ObjectRef(qualified_name=ref)
