"""Ownership of cataloged objects (owner, steward, delegate) and business domains
(`/api/v1/ownership`, roadmap 10.5). Only translates between REST and the governance service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from google.protobuf.field_mask_pb2 import FieldMask

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service.core import patching
from gateway_service.core.auth import Caller
from gateway_service.core.convert import object_ref, page_of
from gateway_service.core.deps import Governance, PageParams
from gateway_service.ownership import mappers as m
from gateway_service.ownership import schemas as s

router = APIRouter(prefix="/ownership", tags=["ownership"])
REF_DOC = "`ref`: `source.schema.name` or URN (`urn:dcs:...`)."
DOMAIN_DOC = "`domain`: the domain's name or id."


# ---------------------------------------------------------------- owners
@router.get(
    "/my-objects",
    response_model=s.OwnershipPage,
    summary="Objects the caller owns, stewards or is delegate of",
)
async def my_objects(
    governance: Governance,
    caller: Caller,
    page: PageParams,
    role: Annotated[s.Role | None, Query(description="only this role")] = None,
) -> s.OwnershipPage:
    resp = await governance.ListOwnedObjects(
        pb.ListOwnedObjectsRequest(user=caller.username, role=role or "", page=page.request())
    )
    return page_of(s.OwnershipPage, resp, m.ownership)


@router.get(
    "/objects/{ref:path}",
    response_model=s.ObjectOwners,
    summary="An object's owners, stewards, delegates and domain",
    description=REF_DOC,
)
async def get_owners(ref: str, governance: Governance) -> s.ObjectOwners:
    return m.object_owners(await governance.ListOwners(pb.ListOwnersRequest(ref=object_ref(ref))))


@router.delete(
    "/objects/{ref:path}/{user}",
    status_code=204,
    summary="Remove a user's role(s) on an object",
    description=f"{REF_DOC} Without `role`, every role the user has on the object goes.",
)
async def remove_owner(
    ref: str,
    user: str,
    governance: Governance,
    role: Annotated[s.Role | None, Query(description="only this role")] = None,
) -> Response:
    await governance.RemoveOwner(
        pb.RemoveOwnerRequest(ref=object_ref(ref), user=user, role=role or "")
    )
    return Response(status_code=204)


@router.post(
    "/objects/{ref:path}",
    response_model=s.Ownership,
    status_code=201,
    summary="Assign an owner, steward or delegate",
    description=REF_DOC,
)
async def assign_owner(ref: str, body: s.OwnerAssign, governance: Governance) -> s.Ownership:
    req = pb.AssignOwnerRequest(ref=object_ref(ref), user=body.identifier, role=body.role)
    return m.ownership(await governance.AssignOwner(req))


# ---------------------------------------------------------------- domains
@router.get(
    "/domains",
    response_model=s.DomainList | s.DomainTree,
    summary="List domains",
    description="Flat, parents before children; `?tree=true` nests subdomains.",
)
async def list_domains(
    governance: Governance,
    tree: Annotated[bool, Query(description="nest subdomains under their parents")] = False,
) -> s.DomainList | s.DomainTree:
    resp = await governance.ListDomains(pb.ListDomainsRequest())
    if tree:
        return s.DomainTree(items=m.tree(list(resp.items)))
    return s.DomainList(items=[m.domain(d) for d in resp.items])


@router.post("/domains", response_model=s.Domain, status_code=201, summary="Create a domain")
async def create_domain(body: s.DomainCreate, governance: Governance) -> s.Domain:
    return m.domain(await governance.CreateDomain(m.create_domain_request(body)))


@router.get(
    "/domains/{domain}/objects",
    response_model=s.DomainObjectPage,
    summary="Objects in a domain",
    description=DOMAIN_DOC,
)
async def domain_objects(
    domain: str, governance: Governance, page: PageParams
) -> s.DomainObjectPage:
    resp = await governance.ListDomainObjects(
        pb.ListDomainObjectsRequest(domain=domain, page=page.request())
    )
    return page_of(s.DomainObjectPage, resp, m.domain_object)


@router.post(
    "/domains/{domain}/objects/{ref:path}",
    response_model=s.DomainObject,
    summary="Assign an object to a domain (moving it from its previous one)",
    description=f"{DOMAIN_DOC} {REF_DOC}",
)
async def assign_domain(domain: str, ref: str, governance: Governance) -> s.DomainObject:
    resp = await governance.AssignDomain(pb.AssignDomainRequest(ref=object_ref(ref), domain=domain))
    return m.domain_object(resp)


@router.get(
    "/domains/{domain}", response_model=s.Domain, summary="A domain", description=DOMAIN_DOC
)
async def get_domain(domain: str, governance: Governance) -> s.Domain:
    return m.domain(await governance.GetDomain(pb.GetDomainRequest(domain=domain)))


@router.patch(
    "/domains/{domain}",
    response_model=s.Domain,
    summary="Rename, describe or move a domain",
    description=f"{DOMAIN_DOC} A parent that would make a cycle is refused (400).",
)
async def update_domain(domain: str, body: s.DomainUpdate, governance: Governance) -> s.Domain:
    changes = patching.changes(
        body, nullable=set(type(body).model_fields) - {"name", "description"}
    )
    req = m.update_domain_request(
        changes, domain=domain, update_mask=FieldMask(paths=sorted(changes))
    )
    return m.domain(await governance.UpdateDomain(req))


@router.delete(
    "/domains/{domain}",
    status_code=204,
    summary="Delete a domain",
    description=f"{DOMAIN_DOC} Refused (400) while it has subdomains or objects.",
)
async def delete_domain(domain: str, governance: Governance) -> Response:
    await governance.DeleteDomain(pb.DeleteDomainRequest(domain=domain))
    return Response(status_code=204)
