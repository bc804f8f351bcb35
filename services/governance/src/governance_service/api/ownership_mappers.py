"""Ownership and domain rows ↔ protobuf messages."""

from __future__ import annotations

from datacompass.governance.v1 import governance_pb2 as pb
from dckit.protoconv import ts
from governance_service.application.ownership import (
    DomainView,
    Events,
    ObjectOwnersView,
    Rights,
)
from governance_service.db.ownership_repo import Row


def ownership(row: Row) -> pb.Ownership:
    return pb.Ownership(
        object_ref=row["object_ref"],
        object_urn=row["object_urn"],
        user=row["user_id"],
        role=row["role"],
        assigned_by=row["assigned_by"],
        assigned_at=ts(row["assigned_at"]),
        source_name=row["source_name"],
    )


def object_owners(view: ObjectOwnersView) -> pb.ObjectOwners:
    return pb.ObjectOwners(
        object_ref=view.obj.ref,
        object_urn=view.obj.urn,
        owners=[ownership(r) for r in view.owners],
        domain=view.domain,
    )


def rights(value: Rights) -> pb.ObjectRights:
    return pb.ObjectRights(
        owner=value.owner, steward=value.steward, can_edit=value.owner or value.steward
    )


def domain(view: DomainView) -> pb.Domain:
    row = view.row
    return pb.Domain(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        parent=view.parent,
        parent_id=row["parent_id"] or 0,
        children=view.children,
        object_count=view.object_count,
        created_by=row["created_by"],
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
        depth=view.depth,
    )


def domain_object(row: Row, domain_name: str) -> pb.DomainObject:
    return pb.DomainObject(
        object_ref=row["object_ref"],
        object_urn=row["object_urn"],
        domain=domain_name,
        assigned_by=row["assigned_by"],
        assigned_at=ts(row["assigned_at"]),
        source_name=row["source_name"],
    )


EVENTS = Events(ownership=ownership, domain=domain, domain_object=domain_object)
