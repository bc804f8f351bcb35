"""`/value-domains`: reusable value domains (enumerated values with labels, ranges, RE2
patterns, reference tables); `/capsules/{urn}/columns`: what a capsule's columns mean —
business definition (kept apart from the source comment scans refresh), semantic type, unit,
value domain, claims on the values, examples — and the claims in effect (the domain's,
overridden by the column's). `{urn}` also accepts a `source.schema.name` ref or an id. Next
to a column's claims stands the quality rule enforcing each (`enforced_by`);
`POST …/columns/{column}/claims/rules` turns the claims into rules in one call."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Annotated

import grpc
from fastapi import APIRouter, Query, Response

from datacompass.catalog.v1 import semantics_pb2 as pb
from datacompass.common.v1 import refs_pb2
from datacompass.quality.v1 import quality_rules_pb2 as qpb
from gateway_service.core.convert import enum_value, object_ref, page_of, to_struct
from gateway_service.core.deps import PageParams, QualityRules, Semantics
from gateway_service.core.errors import ApiError
from gateway_service.core.patching import changes
from gateway_service.semantics import claim_rules
from gateway_service.semantics import mappers as m
from gateway_service.semantics import schemas as s

router = APIRouter(tags=["semantics"])

COLUMNS = "/capsules/{urn:path}/columns"
# Column meaning is served without its rules when quality does not answer in this time.
RULES_TIMEOUT_SECONDS = 2.0


@router.get(
    "/value-domains",
    response_model=s.ValueDomainPage,
    summary="Value domains, by name",
)
async def list_domains(
    semantics: Semantics,
    page: PageParams,
    domain_type: Annotated[s.DomainType | None, Query()] = None,
) -> s.ValueDomainPage:
    kind = enum_value(pb.ValueDomainType.DESCRIPTOR, domain_type, "domain_type")
    resp = await semantics.ListValueDomains(
        pb.ListValueDomainsRequest(domain_type=kind, page=page.request())
    )
    return page_of(s.ValueDomainPage, resp, m.value_domain)


@router.post(
    "/value-domains",
    response_model=s.ValueDomain,
    status_code=201,
    summary="Create a value domain",
    description="An enum domain takes `values`, a range `min_value`/`max_value`, a pattern "
    "`pattern` (RE2), a reference domain `reference_object` and `reference_column`.",
)
async def create_domain(body: s.ValueDomainCreate, semantics: Semantics) -> s.ValueDomain:
    return m.value_domain(await semantics.CreateValueDomain(m.create_domain_request(body)))


@router.get("/value-domains/{name}", response_model=s.ValueDomain, summary="A value domain")
async def get_domain(name: str, semantics: Semantics) -> s.ValueDomain:
    return m.value_domain(await semantics.GetValueDomain(pb.GetValueDomainRequest(name=name)))


@router.patch(
    "/value-domains/{name}",
    response_model=s.ValueDomain,
    summary="Change a value domain (columns using it inherit the new claims)",
    description="Only the fields sent change; null clears one. 400 when the result is not a "
    "valid domain of its type, 409 when the new name is taken.",
)
async def update_domain(
    name: str, body: s.ValueDomainUpdate, semantics: Semantics
) -> s.ValueDomain:
    sent = changes(body, nullable=set(s.ValueDomainUpdate.model_fields) - {"name", "domain_type"})
    return m.value_domain(
        await semantics.UpdateValueDomain(m.update_domain_request(sent, name=name))
    )


@router.delete(
    "/value-domains/{name}",
    status_code=204,
    summary="Delete a value domain no column uses (409 naming the columns otherwise)",
)
async def delete_domain(name: str, semantics: Semantics) -> Response:
    await semantics.DeleteValueDomain(pb.DeleteValueDomainRequest(name=name))
    return Response(status_code=204)


@router.get(
    COLUMNS,
    response_model=s.ColumnSemanticsList,
    summary="A capsule's columns with what they mean",
)
async def list_columns(
    urn: str, semantics: Semantics, quality: QualityRules
) -> s.ColumnSemanticsList:
    ref = object_ref(urn)
    resp, rules = await asyncio.gather(
        semantics.ListColumnSemantics(pb.ListColumnSemanticsRequest(ref=ref)),
        _rules(quality, ref, ""),
    )
    return s.ColumnSemanticsList(items=[_meaning(c, rules) for c in resp.items])


@router.get(
    COLUMNS + "/{column}",
    response_model=s.ColumnSemantics,
    summary="What one column means",
)
async def get_column(
    urn: str, column: str, semantics: Semantics, quality: QualityRules
) -> s.ColumnSemantics:
    ref = object_ref(urn)
    got, rules = await asyncio.gather(
        semantics.GetColumnSemantics(pb.GetColumnSemanticsRequest(ref=ref, column=column)),
        _rules(quality, ref, column),
    )
    return _meaning(got, rules)


@router.patch(
    COLUMNS + "/{column}",
    response_model=s.ColumnSemantics,
    summary="Describe a column: definition, semantic type, unit, value domain, claims",
    description="Only the fields sent change; null clears one. Rescans never overwrite these.",
)
async def describe_column(
    urn: str,
    column: str,
    body: s.ColumnSemanticsUpdate,
    semantics: Semantics,
    quality: QualityRules,
) -> s.ColumnSemantics:
    sent = changes(body, nullable=set(s.ColumnSemanticsUpdate.model_fields))
    ref = object_ref(urn)
    updated = await semantics.UpdateColumnSemantics(m.update_request(ref, column, sent))
    return _meaning(updated, await _rules(quality, ref, column))


@router.post(
    COLUMNS + "/{column}/claims/rules",
    response_model=s.ClaimRules,
    summary="Turn a column's claims into quality rules",
    description="Each effective claim becomes the rule that enforces it: allowed values → "
    "`value_in_set`, min/max → `range_check`, format pattern → `pattern_match`. Idempotent: a "
    "claim already enforced by an equal rule is reported `existing` and left alone. All or "
    "nothing: when quality refuses one rule, the rules this call created are removed again. "
    "400 when the column claims nothing.",
)
async def claims_to_rules(
    urn: str,
    column: str,
    semantics: Semantics,
    quality: QualityRules,
    body: s.ClaimRulesCreate | None = None,
) -> s.ClaimRules:
    body = body or s.ClaimRulesCreate()
    ref = object_ref(urn)
    meaning = await semantics.GetColumnSemantics(
        pb.GetColumnSemanticsRequest(ref=ref, column=column)
    )
    wanted = claim_rules.wanted(meaning.effective, meaning.data_type)
    if not wanted:
        raise ApiError(
            400,
            "FAILED_PRECONDITION",
            f"column {meaning.column} claims nothing: give it allowed values, a min/max or a "
            "format pattern (or a value domain) first",
        )
    existing = (
        await quality.ListQualityRules(qpb.ListQualityRulesRequest(object=ref, column=column))
    ).items
    outcomes: list[s.ClaimRuleOutcome] = []
    created: list[int] = []
    try:
        for want in wanted:
            rule = claim_rules.enforcing(want, existing)
            status = "existing"
            if rule is None:
                rule = await quality.CreateQualityRule(
                    qpb.CreateQualityRuleRequest(
                        object=ref,
                        column=meaning.column,
                        name=claim_rules.free_name(
                            f"{meaning.column}_{want.rule_type}", [r.name for r in existing]
                        ),
                        rule_type=want.rule_type,
                        config=to_struct(want.config, "config"),
                        severity=body.severity,
                        blocking=body.blocking,
                        description=f"enforces the column's claim: {want.claim}",
                    )
                )
                created.append(rule.id)
                status = "created"
            outcomes.append(
                s.ClaimRuleOutcome(claim=want.claim, status=status, rule=m.claim_rule(rule))
            )
    except grpc.aio.AioRpcError:
        for rule_id in created:  # all or nothing
            await quality.DeleteQualityRule(qpb.DeleteQualityRuleRequest(id=rule_id))
        raise
    return s.ClaimRules(items=outcomes)


async def _rules(
    quality: QualityRules, ref: refs_pb2.ObjectRef, column: str
) -> Sequence[qpb.QualityRule] | None:
    """The object's (or column's) quality rules; None when quality does not answer: the
    meaning is served without them."""
    try:
        resp = await quality.ListQualityRules(
            qpb.ListQualityRulesRequest(object=ref, column=column), timeout=RULES_TIMEOUT_SECONDS
        )
    except grpc.aio.AioRpcError:
        return None
    return list(resp.items)


def _meaning(
    meaning: pb.ColumnSemantics, rules: Sequence[qpb.QualityRule] | None
) -> s.ColumnSemantics:
    if rules is None:
        return m.column_semantics(meaning, enforced_by=None)
    mine = [r for r in rules if r.column == meaning.column]
    found = claim_rules.enforced_by(meaning.effective, meaning.data_type, mine)
    return m.column_semantics(
        meaning, enforced_by={claim: m.claim_rule(rule) for claim, rule in found.items()}
    )
