"""Governance ownership and domain messages ↔ REST models."""

from __future__ import annotations

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.ownership import schemas as s

ownership = FromProto(s.Ownership, pb.Ownership)
object_owners = FromProto(s.ObjectOwners, pb.ObjectOwners)
domain_object = FromProto(s.DomainObject, pb.DomainObject)
# `depth` only orders the flat list; `tree` nests it instead.
domain = FromProto(s.Domain, pb.Domain, ignore={"depth"})

create_domain_request = ToProto(pb.CreateDomainRequest, s.DomainCreate)
update_domain_request = ToProto(pb.UpdateDomainRequest, s.DomainUpdate)


def tree(items: list[pb.Domain]) -> list[s.DomainNode]:
    """Nests the depth-first list governance returns."""
    nodes = {d.id: s.DomainNode(**domain(d).model_dump()) for d in items}
    roots: list[s.DomainNode] = []
    for d in items:
        parent = nodes.get(d.parent_id)
        (parent.subdomains if parent is not None else roots).append(nodes[d.id])
    return roots
