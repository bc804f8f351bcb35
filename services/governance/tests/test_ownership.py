"""Ownership and domains through the real gRPC API, objects resolved by a real catalog; every
change audited."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from governance_testkit import Catalogued

from datacompass.governance.v1 import governance_pb2 as pb
from dckit.protoconv import object_ref
from devstack.testing import eventually

CUSTOMERS = "demo.public.customers"
INVOICES = "demo.finance.invoices"


def _changes(row: Any) -> dict[str, Any]:
    value = row["changes"]
    return json.loads(value) if isinstance(value, str) else dict(value)


async def _code(call: Any) -> tuple[str, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value.code().name, err.value.details() or ""


async def test_owners_stewards_delegates(catalogued: Catalogued) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    got = await stub.AssignOwner(
        pb.AssignOwnerRequest(ref=object_ref(CUSTOMERS), user="Data-Team@Company.com")
    )
    assert (got.user, got.role, got.object_ref) == ("data-team@company.com", "owner", CUSTOMERS)
    urn = got.object_urn
    await stub.AssignOwner(pb.AssignOwnerRequest(ref=object_ref(urn), user="alice", role="steward"))
    await stub.AssignOwner(
        pb.AssignOwnerRequest(ref=object_ref(INVOICES), user="alice", role="owner")
    )
    await stub.AssignOwner(
        pb.AssignOwnerRequest(ref=object_ref(INVOICES), user="bob", role="delegate")
    )

    owners = await stub.ListOwners(pb.ListOwnersRequest(ref=object_ref(CUSTOMERS)))
    assert [(o.user, o.role) for o in owners.owners] == [
        ("data-team@company.com", "owner"),
        ("alice", "steward"),
    ]
    mine = await stub.ListOwnedObjects(pb.ListOwnedObjectsRequest(user="alice"))
    assert [(o.object_ref, o.role) for o in mine.items] == [
        (INVOICES, "owner"),
        (CUSTOMERS, "steward"),
    ]
    stewarded = await stub.ListOwnedObjects(
        pb.ListOwnedObjectsRequest(user="alice", role="steward")
    )
    assert [o.object_ref for o in stewarded.items] == [CUSTOMERS]
    by_email = await stub.ListOwnedObjects(pb.ListOwnedObjectsRequest(user="DATA-TEAM@company.com"))
    assert [o.object_ref for o in by_email.items] == [CUSTOMERS]

    rights = await stub.GetObjectRights(
        pb.GetObjectRightsRequest(username="alice", ref=object_ref(urn))
    )
    assert (rights.owner, rights.steward, rights.can_edit) == (False, True, True)
    rights = await stub.GetObjectRights(
        pb.GetObjectRightsRequest(username="bob", ref=object_ref(INVOICES))
    )
    assert not rights.can_edit  # a delegate gains no edit rights

    removed = await stub.RemoveOwner(pb.RemoveOwnerRequest(ref=object_ref(CUSTOMERS), user="alice"))
    assert removed.removed == 1
    rights = await stub.GetObjectRights(
        pb.GetObjectRightsRequest(username="alice", ref=object_ref(CUSTOMERS))
    )
    assert not rights.can_edit

    async def audited() -> list[Any] | None:
        assigns = await catalogued.audit_rows("ownership.assign")
        removes = await catalogued.audit_rows("ownership.remove")
        return [*assigns, *removes] if len(assigns) >= 4 and removes else None

    rows = await eventually(audited, within=20)
    first = next(r for r in rows if r["action"] == "ownership.assign")
    assert (first["entity_type"], first["entity_id"], first["entity_urn"]) == (
        "object",
        CUSTOMERS,
        urn,
    )
    assert _changes(first) == {
        "role": {"old": None, "new": "owner"},
        "user": {"old": None, "new": "data-team@company.com"},
    }
    remove = next(r for r in rows if r["action"] == "ownership.remove")
    assert _changes(remove) == {
        "role": {"old": "steward", "new": None},
        "user": {"old": "alice", "new": None},
    }


@pytest.mark.parametrize(
    ("request_", "code", "needle"),
    [
        (
            pb.AssignOwnerRequest(ref=object_ref(CUSTOMERS), user="not an email"),
            "INVALID_ARGUMENT",
            "not",
        ),
        (pb.AssignOwnerRequest(ref=object_ref(CUSTOMERS), user="x@y"), "INVALID_ARGUMENT", "x@y"),
        (
            pb.AssignOwnerRequest(ref=object_ref(CUSTOMERS), user="alice", role="boss"),
            "INVALID_ARGUMENT",
            "boss",
        ),
        (
            pb.AssignOwnerRequest(ref=object_ref("demo.public.nope"), user="alice"),
            "NOT_FOUND",
            "nope",
        ),
        (pb.RemoveOwnerRequest(ref=object_ref(CUSTOMERS), user="carol"), "NOT_FOUND", "carol"),
        (
            pb.GetObjectRightsRequest(username="", ref=object_ref(CUSTOMERS)),
            "INVALID_ARGUMENT",
            "username",
        ),
        (
            pb.GetObjectRightsRequest(username="a", ref=object_ref("zz-missing")),
            "INVALID_ARGUMENT",
            "zz",
        ),
        (pb.ListOwnedObjectsRequest(user=""), "INVALID_ARGUMENT", "user"),
    ],
)
async def test_ownership_errors(
    catalogued: Catalogued, request_: Any, code: str, needle: str
) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    method = {
        pb.AssignOwnerRequest: stub.AssignOwner,
        pb.RemoveOwnerRequest: stub.RemoveOwner,
        pb.GetObjectRightsRequest: stub.GetObjectRights,
        pb.ListOwnedObjectsRequest: stub.ListOwnedObjects,
    }[type(request_)]
    got_code, details = await _code(method(request_))
    assert got_code == code and needle in details


async def test_duplicate_assignment_is_refused(catalogued: Catalogued) -> None:
    await catalogued.scan()
    req = pb.AssignOwnerRequest(ref=object_ref(CUSTOMERS), user="alice", role="steward")
    await catalogued.stub.AssignOwner(req)
    code, details = await _code(catalogued.stub.AssignOwner(req))
    assert code == "ALREADY_EXISTS" and "alice" in details


async def test_domains_hierarchy_cycles_and_delete(catalogued: Catalogued) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    sales = await stub.CreateDomain(pb.CreateDomainRequest(name="Sales", description="revenue"))
    customer = await stub.CreateDomain(pb.CreateDomainRequest(name="Customer Data", parent="Sales"))
    eu = await stub.CreateDomain(pb.CreateDomainRequest(name="EU", parent=str(customer.id)))
    await stub.CreateDomain(pb.CreateDomainRequest(name="Finance"))
    assert (customer.parent, customer.parent_id, eu.parent) == ("Sales", sales.id, "Customer Data")

    listed = await stub.ListDomains(pb.ListDomainsRequest())
    assert [(d.name, d.depth) for d in listed.items] == [
        ("Finance", 0),
        ("Sales", 0),
        ("Customer Data", 1),
        ("EU", 2),
    ]

    # Sales under its grandchild EU: refused, the cycle named.
    code, details = await _code(
        stub.UpdateDomain(
            pb.UpdateDomainRequest(
                domain="Sales", update_mask=FieldMask(paths=["parent"]), parent="EU"
            )
        )
    )
    assert code == "INVALID_ARGUMENT" and "Sales → EU → Customer Data → Sales" in details
    code, details = await _code(
        stub.UpdateDomain(
            pb.UpdateDomainRequest(
                domain="EU", update_mask=FieldMask(paths=["parent"]), parent="EU"
            )
        )
    )
    assert code == "INVALID_ARGUMENT" and "EU → EU" in details
    moved = await stub.UpdateDomain(
        pb.UpdateDomainRequest(domain="EU", parent="Finance", description="EU invoices",
                               update_mask=FieldMask(paths=["parent", "description"]))
    )  # fmt: skip
    assert (moved.parent, moved.description) == ("Finance", "EU invoices")

    placed = await stub.AssignDomain(
        pb.AssignDomainRequest(ref=object_ref(CUSTOMERS), domain="Sales")
    )
    assert (placed.domain, placed.object_ref) == ("Sales", CUSTOMERS)
    placed = await stub.AssignDomain(
        pb.AssignDomainRequest(ref=object_ref(CUSTOMERS), domain="Customer Data")
    )
    await stub.AssignDomain(pb.AssignDomainRequest(ref=object_ref(INVOICES), domain="EU"))
    objects = await stub.ListDomainObjects(pb.ListDomainObjectsRequest(domain="Customer Data"))
    assert [o.object_ref for o in objects.items] == [CUSTOMERS]
    assert not (await stub.ListDomainObjects(pb.ListDomainObjectsRequest(domain="Sales"))).items
    shown = await stub.GetDomain(pb.GetDomainRequest(domain="Sales"))
    assert (list(shown.children), shown.object_count) == (["Customer Data"], 0)
    owners = await stub.ListOwners(pb.ListOwnersRequest(ref=object_ref(CUSTOMERS)))
    assert owners.domain == "Customer Data"

    code, details = await _code(stub.DeleteDomain(pb.DeleteDomainRequest(domain="Sales")))
    assert code == "FAILED_PRECONDITION" and "Customer Data" in details
    code, details = await _code(stub.DeleteDomain(pb.DeleteDomainRequest(domain="EU")))
    assert code == "FAILED_PRECONDITION" and "1 object" in details
    await stub.AssignDomain(pb.AssignDomainRequest(ref=object_ref(INVOICES), domain="Finance"))
    await stub.DeleteDomain(pb.DeleteDomainRequest(domain="EU"))
    code, _ = await _code(stub.GetDomain(pb.GetDomainRequest(domain="EU")))
    assert code == "NOT_FOUND"

    async def audited() -> dict[str, list[Any]] | None:
        out = {a: await catalogued.audit_rows(a) for a in (
            "domain.create", "domain.update", "domain.assign", "domain.delete"
        )}  # fmt: skip
        counts = {a: len(v) for a, v in out.items()}
        want = {"domain.create": 4, "domain.update": 1, "domain.assign": 4, "domain.delete": 1}
        return out if counts == want else None

    rows = await eventually(audited, within=20)
    assert _changes(rows["domain.update"][0]) == {
        "description": {"old": "", "new": "EU invoices"},
        "parent": {"old": "Customer Data", "new": "Finance"},
    }
    reassigned = [r for r in rows["domain.assign"] if r["entity_id"] == CUSTOMERS][-1]
    assert _changes(reassigned) == {"domain": {"old": "Sales", "new": "Customer Data"}}
    assert _changes(rows["domain.delete"][0])["name"] == {"old": "EU", "new": None}


@pytest.mark.parametrize(
    ("request_", "code", "needle"),
    [
        (pb.CreateDomainRequest(name=""), "INVALID_ARGUMENT", "name"),
        (pb.CreateDomainRequest(name="42"), "INVALID_ARGUMENT", "42"),
        (pb.CreateDomainRequest(name="X", parent="Nowhere"), "NOT_FOUND", "Nowhere"),
        (pb.CreateDomainRequest(name="Sales"), "ALREADY_EXISTS", "Sales"),
        (
            pb.UpdateDomainRequest(domain="Sales", update_mask=FieldMask(paths=["owner"])),
            "INVALID_ARGUMENT",
            "owner",
        ),
        (pb.UpdateDomainRequest(domain="Sales"), "INVALID_ARGUMENT", "update_mask"),
        (
            pb.UpdateDomainRequest(domain="Gone", update_mask=FieldMask(paths=["name"]), name="Y"),
            "NOT_FOUND",
            "Gone",
        ),
        (pb.DeleteDomainRequest(domain="999"), "NOT_FOUND", "999"),
        (pb.AssignDomainRequest(ref=object_ref(CUSTOMERS), domain="Gone"), "NOT_FOUND", "Gone"),
        (
            pb.AssignDomainRequest(ref=object_ref("demo.x.y"), domain="Sales"),
            "NOT_FOUND",
            "demo.x.y",
        ),
    ],
)
async def test_domain_errors(catalogued: Catalogued, request_: Any, code: str, needle: str) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    await stub.CreateDomain(pb.CreateDomainRequest(name="Sales"))
    method = {
        pb.CreateDomainRequest: stub.CreateDomain,
        pb.UpdateDomainRequest: stub.UpdateDomain,
        pb.DeleteDomainRequest: stub.DeleteDomain,
        pb.AssignDomainRequest: stub.AssignDomain,
    }[type(request_)]
    got_code, details = await _code(method(request_))
    assert got_code == code and needle in details, details
