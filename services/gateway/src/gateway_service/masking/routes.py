"""Masking rules (capsule spec 5.2.2), one column each: `/api/v1/columns/{urn}/masking-rules`,
`/api/v1/masking-rules/...`, and the SQL that would mask an object at its source,
`/api/v1/capsules/{urn}/masking-sql`. Only translates between REST and the governance
service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from datacompass.governance.v1 import masking_pb2 as pb
from gateway_service.core import patching
from gateway_service.core.convert import object_ref, split_column_ref
from gateway_service.core.deps import Governance, Id
from gateway_service.masking import mappers as m
from gateway_service.masking import schemas as s

router = APIRouter(tags=["masking"])
COLUMN_DOC = "`urn`: the column's URN (`<object urn>.<column>`) or `source.schema.table.column`."


async def _list(governance: Governance, ref: str, column: str) -> s.MaskingRuleList:
    resp = await governance.ListMaskingRules(
        pb.ListMaskingRulesRequest(ref=object_ref(ref) if ref else None, column=column)
    )
    return s.MaskingRuleList(items=[m.rule(r) for r in resp.items])


@router.get(
    "/columns/{urn:path}/masking-rules",
    response_model=s.MaskingRuleList,
    summary="A column's masking rules (enabled or not)",
    description=COLUMN_DOC,
)
async def column_rules(urn: str, governance: Governance) -> s.MaskingRuleList:
    return await _list(governance, *split_column_ref(urn))


@router.post(
    "/columns/{urn:path}/masking-rules",
    response_model=s.MaskingRule,
    status_code=201,
    summary="Create a masking rule on a column",
    description=f"{COLUMN_DOC} A column has at most one enabled rule (409 otherwise).",
)
async def create_rule(urn: str, body: s.MaskingRuleCreate, governance: Governance) -> s.MaskingRule:
    ref, column = split_column_ref(urn)
    req = m.create_request(body, ref=object_ref(ref), column=column)
    return m.rule(await governance.CreateMaskingRule(req))


@router.get(
    "/masking-rules",
    response_model=s.MaskingRuleList,
    summary="Masking rules of one object, or of every object",
)
async def list_rules(
    governance: Governance,
    obj: Annotated[str | None, Query(alias="object", description="an object's ref or URN")] = None,
) -> s.MaskingRuleList:
    return await _list(governance, obj or "", "")


@router.get("/masking-rules/{rule_id}", response_model=s.MaskingRule, summary="A masking rule")
async def get_rule(rule_id: Id, governance: Governance) -> s.MaskingRule:
    return m.rule(await governance.GetMaskingRule(pb.GetMaskingRuleRequest(id=rule_id)))


@router.patch(
    "/masking-rules/{rule_id}", response_model=s.MaskingRule, summary="Change a masking rule"
)
async def update_rule(
    rule_id: Id, body: s.MaskingRuleUpdate, governance: Governance
) -> s.MaskingRule:
    changes = patching.changes(body, nullable=s.CLEARABLE)
    return m.rule(await governance.UpdateMaskingRule(m.update_request(rule_id, changes)))


@router.delete("/masking-rules/{rule_id}", status_code=204, summary="Delete a masking rule")
async def delete_rule(rule_id: Id, governance: Governance) -> Response:
    await governance.DeleteMaskingRule(pb.DeleteMaskingRuleRequest(id=rule_id))
    return Response(status_code=204)


@router.get(
    "/capsules/{urn:path}/masking-sql",
    response_model=s.MaskingSqlPreview,
    summary="SQL that masks the object at its source with its enabled rules (not run)",
    description="`urn`: the object's URN or `source.schema.name` ref. PostgreSQL: a masked"
    " view; Databricks: column mask functions.",
)
async def masking_sql(
    urn: str,
    governance: Governance,
    dialect: Annotated[
        s.Dialect | None, Query(description="default: the object's source type")
    ] = None,
) -> s.MaskingSqlPreview:
    req = pb.PreviewMaskingSqlRequest(ref=object_ref(urn), dialect=dialect or "")
    return m.preview(await governance.PreviewMaskingSql(req))
