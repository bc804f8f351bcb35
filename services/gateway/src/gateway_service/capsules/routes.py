"""`GET /capsules/{urn}`: the whole capsule in one call. The gateway asks catalog, quality and
governance in parallel, one summary call each (`GetCapsuleSummary`, `GetCapsuleQuality`,
`GetCapsulePolicy`: the service gathers its parts itself); quality and governance with a short
deadline (`capsule_call_timeout_seconds`). A dimension whose service fails comes back as
`{"available": false, "error": ...}` and the answer is still 200. Only the catalog's part is
required: an unknown capsule is 404, the catalog down 503. Sample values (the latest profile)
come back masked for the caller, as quality masks them everywhere."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from fastapi import APIRouter

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.governance.v1 import governance_pb2 as gpb
from datacompass.quality.v1 import quality_rules_pb2 as qpb
from gateway_service.capsules import mappers as m
from gateway_service.capsules import schemas as s
from gateway_service.core.convert import object_ref
from gateway_service.core.deps import Catalog, Governance, QualityRules, Settings

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


async def _call(service: str, call: Awaitable[Any]) -> Any:
    """The answer, or `_Failed`."""
    try:
        return await call
    except grpc.aio.AioRpcError as e:
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
    quality: QualityRules,
    governance: Governance,
    settings: Settings,
) -> s.Capsule:
    ref, t = object_ref(urn), settings.capsule_call_timeout_seconds
    summary, qual, pol = await asyncio.gather(
        # The catalog's part holds the capsule itself: it gets the ordinary deadline.
        _call(
            "catalog",
            catalog.GetCapsuleSummary(
                cpb.GetCapsuleSummaryRequest(ref=ref, lineage_edges=LINEAGE_EDGES, term_links=500),
                timeout=settings.rpc_timeout_seconds,
            ),
        ),
        _call(
            "quality",
            quality.GetCapsuleQuality(qpb.GetCapsuleQualityRequest(object=ref), timeout=t),
        ),
        _call(
            "governance",
            governance.GetCapsulePolicy(gpb.GetCapsulePolicyRequest(ref=ref), timeout=t),
        ),
    )
    if isinstance(summary, _Failed):
        raise summary.error  # the capsule itself: unknown → 404, catalog down → 503
    obj = summary.object
    return s.Capsule(
        urn=obj.urn,
        ref=obj.ref,
        name=obj.name,
        description=obj.description,
        layer=obj.layer or None,
        payload=m.payload(obj),
        structure=m.structure(obj, summary.constraints, summary.indexes, summary.versions),
        semantics=m.semantics(obj, summary.term_links, summary.columns),
        quality=_section(
            lambda q: m.quality(
                obj, q.rules, q.score, q.profile if q.HasField("profile") else None
            ),
            qual,
        ),
        policy=_section(
            lambda p: m.policy(obj, p.classification, p.owners, p.policies, p.masking_rules),
            pol,
        ),
        lineage=m.lineage(obj, summary.lineage),
        contract=m.contract(),
        completeness=m.completeness(obj, summary.completeness),
    )
