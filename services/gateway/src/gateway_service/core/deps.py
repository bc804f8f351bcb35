"""Route dependencies: the backend stubs, settings, paging query parameters, numeric ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from datacompass.catalog.v1 import catalog_pb2_grpc, completeness_pb2_grpc, semantics_pb2_grpc
from datacompass.common.v1 import paging_pb2
from datacompass.governance.v1 import governance_pb2_grpc
from datacompass.notifier.v1 import notifier_pb2_grpc
from datacompass.quality.v1 import dq_pb2_grpc, quality_rules_pb2_grpc
from datacompass.scheduler.v1 import scheduler_pb2_grpc
from dckit.paging import DEFAULT_LIMIT, MAX_LIMIT
from gateway_service.config import GatewaySettings
from gateway_service.core.convert import INT64_MAX, page_request


def catalog(request: Request) -> catalog_pb2_grpc.CatalogServiceStub:
    stub: catalog_pb2_grpc.CatalogServiceStub = request.app.state.catalog
    return stub


def semantics(request: Request) -> semantics_pb2_grpc.SemanticsServiceStub:
    stub: semantics_pb2_grpc.SemanticsServiceStub = request.app.state.semantics
    return stub


def completeness(request: Request) -> completeness_pb2_grpc.CompletenessServiceStub:
    stub: completeness_pb2_grpc.CompletenessServiceStub = request.app.state.completeness
    return stub


def governance(request: Request) -> governance_pb2_grpc.GovernanceServiceStub:
    stub: governance_pb2_grpc.GovernanceServiceStub = request.app.state.governance
    return stub


def dq(request: Request) -> dq_pb2_grpc.DqServiceStub:
    stub: dq_pb2_grpc.DqServiceStub = request.app.state.dq
    return stub


def quality_rules(request: Request) -> quality_rules_pb2_grpc.QualityRulesServiceStub:
    stub: quality_rules_pb2_grpc.QualityRulesServiceStub = request.app.state.quality_rules
    return stub


def scheduler(request: Request) -> scheduler_pb2_grpc.SchedulerServiceStub:
    stub: scheduler_pb2_grpc.SchedulerServiceStub = request.app.state.scheduler
    return stub


def notifier(request: Request) -> notifier_pb2_grpc.NotifierServiceStub:
    stub: notifier_pb2_grpc.NotifierServiceStub = request.app.state.notifier
    return stub


def settings(request: Request) -> GatewaySettings:
    value: GatewaySettings = request.app.state.settings
    return value


@dataclass(frozen=True)
class Paging:
    limit: int
    cursor: str | None

    def request(self) -> paging_pb2.PageRequest:
        return page_request(self.limit, self.cursor)


def paging(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"page size, 1..{MAX_LIMIT}")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(description="opaque cursor: `next_cursor` of the previous page")
    ] = None,
) -> Paging:
    return Paging(limit, cursor)


Catalog = Annotated[catalog_pb2_grpc.CatalogServiceStub, Depends(catalog)]
# The catalog's semantic dimension: glossary, term links, column meaning, value domains.
Semantics = Annotated[semantics_pb2_grpc.SemanticsServiceStub, Depends(semantics)]
# Metadata completeness of capsules (catalog).
Completeness = Annotated[completeness_pb2_grpc.CompletenessServiceStub, Depends(completeness)]
Governance = Annotated[governance_pb2_grpc.GovernanceServiceStub, Depends(governance)]
# The quality service's two subsystems: DQ metrics, and quality rules (checks, profiles).
Dq = Annotated[dq_pb2_grpc.DqServiceStub, Depends(dq)]
QualityRules = Annotated[quality_rules_pb2_grpc.QualityRulesServiceStub, Depends(quality_rules)]
Scheduler = Annotated[scheduler_pb2_grpc.SchedulerServiceStub, Depends(scheduler)]
Notifier = Annotated[notifier_pb2_grpc.NotifierServiceStub, Depends(notifier)]
Settings = Annotated[GatewaySettings, Depends(settings)]
PageParams = Annotated[Paging, Depends(paging)]
# A numeric id in the path (larger ones could not be sent to a backend).
Id = Annotated[int, Path(ge=1, le=INT64_MAX)]
