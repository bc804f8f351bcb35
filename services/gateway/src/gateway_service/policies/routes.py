"""Data policies (capsule spec 5.2.1) on an object or one of its columns:
`/api/v1/capsules/{urn}/policies` and `/api/v1/policies/...`. Only translates between REST and
the governance service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from google.protobuf.field_mask_pb2 import FieldMask

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service.core import patching
from gateway_service.core.convert import object_ref, page_of
from gateway_service.core.deps import Governance, Id, PageParams
from gateway_service.policies import mappers as m
from gateway_service.policies import schemas as s

router = APIRouter(tags=["policies"])
URN_DOC = "`urn`: the object's URN or `source.schema.name` ref."


async def _page(governance: Governance, ref: str, overdue: bool, page: PageParams) -> s.PolicyPage:
    resp = await governance.ListPolicies(
        pb.ListPoliciesRequest(
            ref=object_ref(ref) if ref else None, overdue_only=overdue, page=page.request()
        )
    )
    return page_of(s.PolicyPage, resp, m.policy)


@router.get(
    "/capsules/{urn:path}/policies",
    response_model=s.PolicyPage,
    summary="An object's data policies (its columns' included)",
    description=URN_DOC,
)
async def object_policies(
    urn: str,
    governance: Governance,
    page: PageParams,
    overdue: Annotated[bool, Query(description="only those past their review date")] = False,
) -> s.PolicyPage:
    return await _page(governance, urn, overdue, page)


@router.post(
    "/capsules/{urn:path}/policies",
    response_model=s.Policy,
    status_code=201,
    summary="Create a data policy on an object or one of its columns",
    description=f"{URN_DOC} Every invalid field is named in one 400.",
)
async def create_policy(urn: str, body: s.PolicyCreate, governance: Governance) -> s.Policy:
    spec = m.spec(body.model_dump(exclude={"column"}))
    req = pb.CreatePolicyRequest(ref=object_ref(urn), column=body.column or "", spec=spec)
    return m.policy(await governance.CreatePolicy(req))


@router.get("/policies", response_model=s.PolicyPage, summary="Data policies of every object")
async def list_policies(
    governance: Governance,
    page: PageParams,
    overdue: Annotated[bool, Query(description="only those past their review date")] = False,
) -> s.PolicyPage:
    return await _page(governance, "", overdue, page)


@router.get("/policies/{policy_id}", response_model=s.Policy, summary="A data policy")
async def get_policy(policy_id: Id, governance: Governance) -> s.Policy:
    return m.policy(await governance.GetPolicy(pb.GetPolicyRequest(id=policy_id)))


@router.patch("/policies/{policy_id}", response_model=s.Policy, summary="Change a data policy")
async def update_policy(policy_id: Id, body: s.PolicyUpdate, governance: Governance) -> s.Policy:
    changes = patching.changes(body, nullable=s.CLEARABLE)
    req = pb.UpdatePolicyRequest(
        id=policy_id, spec=m.spec(changes), update_mask=FieldMask(paths=sorted(changes))
    )
    return m.policy(await governance.UpdatePolicy(req))


@router.delete("/policies/{policy_id}", status_code=204, summary="Delete a data policy")
async def delete_policy(policy_id: Id, governance: Governance) -> Response:
    await governance.DeletePolicy(pb.DeletePolicyRequest(id=policy_id))
    return Response(status_code=204)
