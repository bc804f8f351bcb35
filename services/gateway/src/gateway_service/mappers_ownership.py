"""Governance ownership and domain messages → REST models."""

from __future__ import annotations

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service import schemas_ownership as s
from gateway_service.mappers import optional, timestamp


def ownership(msg: pb.Ownership) -> s.Ownership:
    return s.Ownership(
        object_ref=msg.object_ref,
        object_urn=msg.object_urn,
        user=msg.user,
        role=msg.role,
        assigned_by=msg.assigned_by,
        assigned_at=timestamp(msg, "assigned_at"),
        source_name=msg.source_name,
    )


def object_owners(msg: pb.ObjectOwners) -> s.ObjectOwners:
    return s.ObjectOwners(
        object_ref=msg.object_ref,
        object_urn=msg.object_urn,
        owners=[ownership(o) for o in msg.owners],
        domain=optional(msg.domain),
    )


def domain(msg: pb.Domain) -> s.Domain:
    return s.Domain(
        id=msg.id,
        name=msg.name,
        description=optional(msg.description),
        parent=optional(msg.parent),
        parent_id=msg.parent_id or None,
        children=list(msg.children),
        object_count=msg.object_count,
        created_by=msg.created_by,
        created_at=timestamp(msg, "created_at"),
        updated_at=timestamp(msg, "updated_at"),
    )


def tree(items: list[pb.Domain]) -> list[s.DomainNode]:
    """Nests the depth-first list governance returns."""
    nodes = {d.id: s.DomainNode(**domain(d).model_dump()) for d in items}
    roots: list[s.DomainNode] = []
    for d in items:
        parent = nodes.get(d.parent_id)
        (parent.subdomains if parent is not None else roots).append(nodes[d.id])
    return roots


def domain_object(msg: pb.DomainObject) -> s.DomainObject:
    return s.DomainObject(
        object_ref=msg.object_ref,
        object_urn=msg.object_urn,
        domain=msg.domain,
        assigned_by=msg.assigned_by,
        assigned_at=timestamp(msg, "assigned_at"),
        source_name=msg.source_name,
    )
