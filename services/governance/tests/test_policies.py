"""Data policies through the real gRPC API, objects and columns resolved by a real catalog;
every change audited with field diffs and published."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from governance_testkit import Catalogued

from datacompass.common.v1 import events_pb2
from datacompass.governance.v1 import governance_pb2 as pb
from dckit.protoconv import object_ref
from devstack.testing import eventually

CUSTOMERS = "demo.public.customers"
INVOICES = "demo.finance.invoices"
CHANGED = "datacompass.governance.policy.changed"


def _changes(row: Any) -> dict[str, Any]:
    value = row["changes"]
    return json.loads(value) if isinstance(value, str) else dict(value)


async def _code(call: Any) -> tuple[str, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value.code().name, err.value.details() or ""


async def _events(gov: Catalogued) -> list[pb.PolicyChanged]:
    rows = await gov.sql(
        "SELECT payload FROM governance.outbox WHERE event_type = $1 ORDER BY created_at", CHANGED
    )
    out = []
    for row in rows:
        envelope = events_pb2.EventEnvelope.FromString(bytes(row["payload"]))
        message = pb.PolicyChanged()
        envelope.data.Unpack(message)
        out.append(message)
    return out


async def test_policy_lifecycle(catalogued: Catalogued) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    spec = pb.PolicySpec(
        sensitivity="Confidential",
        retention_days=2555,
        retention_start="last_modified",
        deletion_action="anonymize",
        allowed_regions=["eu", "us"],
        restricted_regions=["cn"],
        residency="eu",
        min_role="editor",
        allowed_roles=["steward"],
        denied_roles=["viewer"],
        purposes=["analytics"],
        masking_required=True,
        compliance=["gdpr"],
        review_cycle_days=365,
    )
    created = await stub.CreatePolicy(pb.CreatePolicyRequest(ref=object_ref(CUSTOMERS), spec=spec))
    assert (created.object_ref, created.column, created.spec.sensitivity) == (
        CUSTOMERS,
        "",
        "confidential",
    )
    assert list(created.spec.allowed_regions) == ["EU", "US"] and created.spec.residency == "EU"
    next_review = (datetime.now(UTC).date() + timedelta(days=365)).isoformat()
    assert created.next_review_date == next_review and not created.overdue

    column = await stub.CreatePolicy(
        pb.CreatePolicyRequest(
            ref=object_ref(created.object_urn),
            column="EMAIL",
            spec=pb.PolicySpec(sensitivity="restricted", encryption_required=True),
        )
    )
    assert (column.column, column.next_review_date) == ("email", "")
    other = await stub.CreatePolicy(
        pb.CreatePolicyRequest(ref=object_ref(INVOICES), spec=pb.PolicySpec(sensitivity="internal"))
    )

    listed = await stub.ListPolicies(pb.ListPoliciesRequest(ref=object_ref(CUSTOMERS)))
    assert [p.id for p in listed.items] == [created.id, column.id]
    everything = await stub.ListPolicies(pb.ListPoliciesRequest())
    assert [p.id for p in everything.items] == [created.id, column.id, other.id]
    assert not (await stub.ListPolicies(pb.ListPoliciesRequest(overdue_only=True))).items

    # Reviewed 400 days ago on a yearly cycle: overdue.
    long_ago = (datetime.now(UTC).date() - timedelta(days=400)).isoformat()
    updated = await stub.UpdatePolicy(
        pb.UpdatePolicyRequest(
            id=created.id,
            update_mask=FieldMask(paths=["last_reviewed_on", "purposes"]),
            spec=pb.PolicySpec(last_reviewed_on=long_ago, purposes=["reporting", "ml"]),
        )
    )
    assert updated.overdue and updated.spec.sensitivity == "confidential"
    assert list(updated.spec.purposes) == ["reporting", "ml"]
    overdue = await stub.ListPolicies(pb.ListPoliciesRequest(overdue_only=True))
    assert [p.id for p in overdue.items] == [created.id]
    got = await stub.GetPolicy(pb.GetPolicyRequest(id=created.id))
    assert got.overdue and got.updated_by == updated.updated_by

    await stub.DeletePolicy(pb.DeletePolicyRequest(id=other.id))
    code, _ = await _code(stub.GetPolicy(pb.GetPolicyRequest(id=other.id)))
    assert code == "NOT_FOUND"

    async def audited() -> list[Any] | None:
        rows = [
            *await catalogued.audit_rows("policy.create"),
            *await catalogued.audit_rows("policy.update"),
            *await catalogued.audit_rows("policy.delete"),
        ]
        return rows if len(rows) == 5 else None

    rows = await eventually(audited, within=20)
    first = rows[0]
    assert (first["entity_type"], first["entity_id"], first["entity_urn"]) == (
        "policy",
        str(created.id),
        created.object_urn,
    )
    assert _changes(first)["sensitivity"] == {"old": None, "new": "confidential"}
    update = next(r for r in rows if r["action"] == "policy.update")
    assert _changes(update) == {
        "last_reviewed_on": {"old": None, "new": long_ago},
        "next_review_date": {
            "old": next_review,
            "new": (datetime.now(UTC).date() - timedelta(days=35)).isoformat(),
        },
        "purposes": {"old": ["analytics"], "new": ["reporting", "ml"]},
    }
    delete = next(r for r in rows if r["action"] == "policy.delete")
    assert _changes(delete)["object"] == {"old": INVOICES, "new": None}

    events = await _events(catalogued)
    assert [(e.change, e.policy.id) for e in events] == [
        ("created", created.id),
        ("created", column.id),
        ("created", other.id),
        ("updated", created.id),
        ("deleted", other.id),
    ]


async def test_invalid_policy_names_every_field(catalogued: Catalogued) -> None:
    await catalogued.scan()
    spec = pb.PolicySpec(
        sensitivity="ultra",
        allowed_regions=["EU"],
        restricted_regions=["eu"],
        allowed_roles=["admin", "analyst"],
        denied_roles=["admin"],
        retention_days=-3,
        compliance=["iso"],
    )
    code, details = await _code(
        catalogued.stub.CreatePolicy(pb.CreatePolicyRequest(ref=object_ref(CUSTOMERS), spec=spec))
    )
    assert code == "INVALID_ARGUMENT"
    for name in (
        "sensitivity",
        "restricted_regions",
        "allowed_roles",
        "denied_roles",
        "retention_days",
        "compliance",
    ):
        assert f"{name}:" in details, name
    assert not await catalogued.sql("SELECT id FROM governance.data_policies")


@pytest.mark.parametrize(
    ("request_", "code", "needle"),
    [
        (
            pb.CreatePolicyRequest(
                ref=object_ref("demo.public.nope"), spec=pb.PolicySpec(sensitivity="public")
            ),
            "NOT_FOUND",
            "nope",
        ),
        (
            pb.CreatePolicyRequest(
                ref=object_ref(CUSTOMERS),
                column="shoe_size",
                spec=pb.PolicySpec(sensitivity="public"),
            ),
            "NOT_FOUND",
            "shoe_size",
        ),
        (
            pb.CreatePolicyRequest(ref=object_ref(""), spec=pb.PolicySpec(sensitivity="public")),
            "INVALID_ARGUMENT",
            "object",
        ),
        (
            pb.CreatePolicyRequest(
                ref=object_ref(CUSTOMERS),
                spec=pb.PolicySpec(sensitivity="public", last_reviewed_on="yesterday"),
            ),
            "INVALID_ARGUMENT",
            "last_reviewed_on",
        ),
        (pb.GetPolicyRequest(id=999), "NOT_FOUND", "999"),
        (pb.DeletePolicyRequest(id=999), "NOT_FOUND", "999"),
        (
            pb.UpdatePolicyRequest(
                id=999, update_mask=FieldMask(paths=["purposes"]), spec=pb.PolicySpec()
            ),
            "NOT_FOUND",
            "999",
        ),
        (pb.ListPoliciesRequest(ref=object_ref("demo.public.nope")), "NOT_FOUND", "nope"),
    ],
)
async def test_policy_errors(catalogued: Catalogued, request_: Any, code: str, needle: str) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    method = {
        pb.CreatePolicyRequest: stub.CreatePolicy,
        pb.GetPolicyRequest: stub.GetPolicy,
        pb.DeletePolicyRequest: stub.DeletePolicy,
        pb.UpdatePolicyRequest: stub.UpdatePolicy,
        pb.ListPoliciesRequest: stub.ListPolicies,
    }[type(request_)]
    got_code, details = await _code(method(request_))
    assert got_code == code and needle in details


async def test_update_is_validated_and_atomic(catalogued: Catalogued) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    created = await stub.CreatePolicy(
        pb.CreatePolicyRequest(
            ref=object_ref(CUSTOMERS),
            spec=pb.PolicySpec(sensitivity="internal", allowed_roles=["editor"]),
        )
    )
    outbox = "SELECT count(*) AS n FROM governance.outbox"
    written = (await catalogued.sql(outbox))[0]["n"]
    bad = pb.UpdatePolicyRequest(
        id=created.id,
        update_mask=FieldMask(paths=["denied_roles"]),
        spec=pb.PolicySpec(denied_roles=["editor"]),
    )
    code, details = await _code(stub.UpdatePolicy(bad))
    assert code == "INVALID_ARGUMENT" and "denied_roles: also allowed: editor" in details
    code, details = await _code(
        stub.UpdatePolicy(
            pb.UpdatePolicyRequest(id=created.id, update_mask=FieldMask(paths=["colour"]))
        )
    )
    assert code == "INVALID_ARGUMENT" and "colour" in details
    got = await stub.GetPolicy(pb.GetPolicyRequest(id=created.id))
    assert list(got.spec.denied_roles) == []
    # Nothing half-written: no audit record or event entered the outbox for the rejected calls.
    assert (await catalogued.sql(outbox))[0]["n"] == written
