"""Classification of objects and columns, auto-classification rules
(`/api/v1/classification`). Only translates between REST and the governance service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response
from google.protobuf.field_mask_pb2 import FieldMask

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service.classification import mappers as m
from gateway_service.classification import schemas as s
from gateway_service.core import patching
from gateway_service.core.convert import object_ref, page_of
from gateway_service.core.deps import Governance, Id, PageParams
from gateway_service.core.errors import ApiError

router = APIRouter(prefix="/classification", tags=["classification"])
REF_DOC = "`ref`: `source.schema.name` or URN (`urn:dcs:...`)."
MAX_YAML = 1_000_000


@router.get("", response_model=s.ClassificationPage, summary="List classifications")
async def list_classifications(
    governance: Governance,
    page: PageParams,
    level: Annotated[s.Level | None, Query(description="only this level")] = None,
    source: Annotated[str, Query(description="only this catalog source's objects")] = "",
) -> s.ClassificationPage:
    resp = await governance.ListClassifications(
        pb.ListClassificationsRequest(level=level or "", source_name=source, page=page.request())
    )
    return page_of(s.ClassificationPage, resp, m.classification)


# ---------------------------------------------------------------- rules
@router.get("/rules", response_model=s.ClassificationRuleList, summary="List rules")
async def list_rules(governance: Governance) -> s.ClassificationRuleList:
    resp = await governance.ListClassificationRules(pb.ListClassificationRulesRequest())
    return s.ClassificationRuleList(items=[m.rule(r) for r in resp.items])


@router.post(
    "/rules", response_model=s.ClassificationRule, status_code=201, summary="Create a rule"
)
async def create_rule(
    body: s.ClassificationRuleCreate, governance: Governance
) -> s.ClassificationRule:
    req = pb.CreateClassificationRuleRequest(rule=m.new_rule(body))
    return m.rule(await governance.CreateClassificationRule(req))


@router.post(
    "/rules/apply",
    response_model=s.ApplyResult,
    summary="Apply the enabled rules to every cataloged object (or one source's)",
    description="Never overrides a manual classification.",
)
async def apply_rules(
    governance: Governance, body: Annotated[s.ApplyRequest | None, Body()] = None
) -> s.ApplyResult:
    source = body.source if body else ""
    req = pb.ApplyClassificationRulesRequest(source_name=source)
    return m.apply_result(await governance.ApplyClassificationRules(req))


@router.post(
    "/rules/import",
    response_model=s.ClassificationRuleList,
    summary="Create or replace (by name) the rules of a classification-rules.yaml document",
    openapi_extra={
        "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}}
    },
)
async def import_rules(request: Request, governance: Governance) -> s.ClassificationRuleList:
    raw = await request.body()
    if len(raw) > MAX_YAML:
        raise ApiError(400, "INVALID_ARGUMENT", f"the YAML document exceeds {MAX_YAML} bytes")
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        raise ApiError(400, "INVALID_ARGUMENT", "the YAML document is not UTF-8") from exc
    resp = await governance.ImportClassificationRules(
        pb.ImportClassificationRulesRequest(yaml=text)
    )
    return s.ClassificationRuleList(items=[m.rule(r) for r in resp.items])


@router.patch("/rules/{rule_id}", response_model=s.ClassificationRule, summary="Change a rule")
async def update_rule(
    rule_id: Id, body: s.ClassificationRuleUpdate, governance: Governance
) -> s.ClassificationRule:
    changes = patching.changes(body)
    req = pb.UpdateClassificationRuleRequest(
        id=rule_id, rule=m.rule_changes(changes), update_mask=FieldMask(paths=sorted(changes))
    )
    return m.rule(await governance.UpdateClassificationRule(req))


@router.delete("/rules/{rule_id}", status_code=204, summary="Delete a rule")
async def delete_rule(rule_id: Id, governance: Governance) -> Response:
    await governance.DeleteClassificationRule(pb.DeleteClassificationRuleRequest(id=rule_id))
    return Response(status_code=204)


# ---------------------------------------------------------------- objects and columns
@router.get(
    "/objects/{ref:path}/columns",
    response_model=list[s.Classification],
    summary="An object's column classifications",
    description=REF_DOC,
)
async def get_columns(ref: str, governance: Governance) -> list[s.Classification]:
    resp = await governance.GetClassification(pb.GetClassificationRequest(ref=object_ref(ref)))
    return [m.classification(c) for c in resp.columns]


@router.put(
    "/objects/{ref:path}/columns/{column}",
    response_model=s.Classification,
    summary="Classify a column (manually: rules never override it)",
    description=REF_DOC,
)
async def set_column(
    ref: str, column: str, body: s.ClassificationSet, governance: Governance
) -> s.Classification:
    req = m.set_request(body, ref=object_ref(ref), column=column)
    return m.classification(await governance.SetClassification(req))


@router.get(
    "/objects/{ref:path}",
    response_model=s.ObjectClassification,
    summary="An object's own, effective and column classifications",
    description=REF_DOC,
)
async def get_object(ref: str, governance: Governance) -> s.ObjectClassification:
    resp = await governance.GetClassification(pb.GetClassificationRequest(ref=object_ref(ref)))
    return m.object_classification(resp)


@router.put(
    "/objects/{ref:path}",
    response_model=s.Classification,
    summary="Classify an object (manually: rules never override it)",
    description=REF_DOC,
)
async def set_object(
    ref: str, body: s.ClassificationSet, governance: Governance
) -> s.Classification:
    req = m.set_request(body, ref=object_ref(ref))
    return m.classification(await governance.SetClassification(req))
