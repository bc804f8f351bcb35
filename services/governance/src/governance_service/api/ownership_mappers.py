"""Ownership assignments and domains → protobuf messages."""

from __future__ import annotations

from datacompass.governance.v1 import governance_pb2 as pb
from dckit.protoconv import to_message
from governance_service.application.ownership import ObjectOwnersView, Rights
from governance_service.domain.ownership import Domain, DomainObject, Ownership


def ownership(value: Ownership) -> pb.Ownership:
    return to_message(pb.Ownership, value)


def object_owners(view: ObjectOwnersView) -> pb.ObjectOwners:
    owners = [ownership(o) for o in view.owners]
    return to_message(
        pb.ObjectOwners, view, object_ref=view.obj.ref, object_urn=view.obj.urn, owners=owners
    )


def rights(value: Rights) -> pb.ObjectRights:
    return to_message(pb.ObjectRights, value, can_edit=value.owner or value.steward)


def domain(value: Domain) -> pb.Domain:
    return to_message(pb.Domain, value)


def domain_object(value: DomainObject) -> pb.DomainObject:
    return to_message(pb.DomainObject, value)
