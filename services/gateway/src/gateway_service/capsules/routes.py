"""`GET /capsules/{urn}`: the whole capsule in one call. The gateway asks catalog, quality and
governance in parallel, each call with a short deadline (`capsule_call_timeout_seconds`); a
dimension whose service fails comes back as `{"available": false, "error": ...}` and the answer
is still 200. Only the object itself is required: an unknown capsule is 404. Sample values
(the latest profile) come back masked for the caller, as quality masks them everywhere."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from fastapi import APIRouter

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.catalog.v1 import completeness_pb2 as kpb
from datacompass.catalog.v1 import semantics_pb2 as spb
from datacompass.governance.v1 import governance_pb2 as gpb
from datacompass.governance.v1 import masking_pb2 as mpb
from datacompass.quality.v1 import quality_rules_pb2 as qpb
from gateway_service.capsules import mappers as m
from gateway_service.capsules import schemas as s
from gateway_service.core.convert import object_ref, page_request
from gateway_service.core.deps import (
    Catalog,
    Completeness,
    Governance,
    QualityRules,
    Semantics,
    Settings,
)

router = APIRouter(tags=["capsules"])

LINEAGE_EDGES = 500


class _Failed:
    """A call that failed: what the section says instead of its content."""

    def __init__(self, service: str, error: grpc.aio.AioRpcError) -> None:
        self.error = error
        code = error.code()
        reason = {
            grpc.StatusCode.UNAVAILABLE: "is unavailable",
            grpc.StatusCode.DEADLINE_EXCEEDED: "did not answer in time",
        }.get(code, f"failed ({code.name.lower()})")
        self.message = f"the {service} service {reason}"


async def _call(service: str, call: Awaitable[Any], *, optional: bool = False) -> Any:
    """The answer, or `_Failed`; NOT_FOUND is None when the thing is `optional` (no profile)."""
    try:
        return await call
    except grpc.aio.AioRpcError as e:
        if optional and e.code() == grpc.StatusCode.NOT_FOUND:
            return None
        return _Failed(service, e)


def _section(build: Callable[..., s.Section], *answers: Any) -> s.Section:
    for answer in answers:
        if isinstance(answer, _Failed):
            return m.unavailable(answer.message)
    return build(*answers)


@router.get(
    "/capsules/{urn:path}",
    response_model=s.Capsule,
    summary="The whole capsule: its seven dimensions with counts and links",
    description="`urn`: the capsule's URN, `source.schema.name` ref or id. One request fans out "
    "to every service in parallel; a dimension whose service is down is "
    '`{"available": false, "error": ...}` (still 200). Contracts are not yet available.',
)
async def get_capsule(
    urn: str,
    catalog: Catalog,
    semantics: Semantics,
    quality: QualityRules,
    governance: Governance,
    completeness: Completeness,
    settings: Settings,
) -> s.Capsule:
    ref, t = object_ref(urn), settings.capsule_call_timeout_seconds
    (
        obj,
        constraints,
        indexes,
        versions,
        graph,
        links,
        columns,
        rules,
        score,
        profile,
        classification,
        owners,
        policies,
        masking,
        complete,
    ) = await asyncio.gather(
        # The capsule itself is required: it gets the ordinary deadline.
        _call(
            "catalog",
            catalog.GetObject(cpb.GetObjectRequest(ref=ref), timeout=settings.rpc_timeout_seconds),
        ),
        _call("catalog", catalog.ListConstraints(cpb.ListConstraintsRequest(ref=ref), timeout=t)),
        _call("catalog", catalog.ListIndexes(cpb.ListIndexesRequest(ref=ref), timeout=t)),
        _call(
            "catalog",
            catalog.ListVersions(
                cpb.ListVersionsRequest(ref=ref, page=page_request(1, None)), timeout=t
            ),
        ),
        _call(
            "catalog",
            catalog.GetLineage(
                cpb.GetLineageRequest(ref=ref, depth=1, page=page_request(LINEAGE_EDGES, None)),
                timeout=t,
            ),
        ),
        _call(
            "catalog",
            semantics.ListTermLinks(
                spb.ListTermLinksRequest(ref=ref, page=page_request(500, None)), timeout=t
            ),
        ),
        _call(
            "catalog",
            semantics.ListColumnSemantics(spb.ListColumnSemanticsRequest(ref=ref), timeout=t),
        ),
        _call(
            "quality", quality.ListQualityRules(qpb.ListQualityRulesRequest(object=ref), timeout=t)
        ),
        _call(
            "quality", quality.GetQualityScore(qpb.GetQualityScoreRequest(object=ref), timeout=t)
        ),
        _call(
            "quality",
            quality.GetObjectProfile(qpb.GetObjectProfileRequest(object=ref), timeout=t),
            optional=True,
        ),
        _call(
            "governance",
            governance.GetClassification(gpb.GetClassificationRequest(ref=ref), timeout=t),
        ),
        _call("governance", governance.ListOwners(gpb.ListOwnersRequest(ref=ref), timeout=t)),
        _call(
            "governance",
            governance.ListPolicies(
                gpb.ListPoliciesRequest(ref=ref, page=page_request(500, None)), timeout=t
            ),
        ),
        _call(
            "governance",
            governance.ListMaskingRules(mpb.ListMaskingRulesRequest(ref=ref), timeout=t),
        ),
        _call(
            "catalog",
            completeness.GetCompleteness(kpb.GetCompletenessRequest(ref=ref), timeout=t),
        ),
    )
    if isinstance(obj, _Failed):
        raise obj.error  # the capsule itself: unknown → 404, catalog down → 503
    return s.Capsule(
        urn=obj.urn,
        ref=obj.ref,
        name=obj.name,
        description=obj.description,
        layer=obj.layer or None,
        payload=m.payload(obj),
        structure=_section(lambda *a: m.structure(obj, *a), constraints, indexes, versions),
        semantics=_section(lambda *a: m.semantics(obj, *a), links, columns),
        quality=_section(lambda *a: m.quality(obj, *a), rules, score, profile),
        policy=_section(lambda *a: m.policy(obj, *a), classification, owners, policies, masking),
        lineage=_section(lambda *a: m.lineage(obj, *a), graph),
        contract=m.contract(),
        completeness=_section(lambda *a: m.completeness(obj, *a), complete),
    )
