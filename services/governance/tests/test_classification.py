"""Classification and auto-classification rules through the real gRPC API, with a real catalog
scanning a real source database."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from governance_testkit import Catalogued

from datacompass.governance.v1 import governance_pb2 as pb
from dckit.protoconv import object_ref
from devstack.testing import eventually, repo_root
from governance_service.app import SCAN_CONSUMER

# The roadmap's example, verbatim (docs/examples/classification-rules.yaml).
ROADMAP_YAML = (repo_root() / "docs/examples/classification-rules.yaml").read_text()
CUSTOMERS = "demo.public.customers"


async def scanned(stack: Catalogued) -> None:
    """Scan, then wait until the after-scan rules run is over (so counts are ours alone)."""
    before = await stack.sql(
        "SELECT count(*) AS n FROM governance.processed_events WHERE consumer = $1", SCAN_CONSUMER
    )
    await stack.scan()

    async def done() -> bool:
        rows = await stack.sql(
            "SELECT count(*) AS n FROM governance.processed_events WHERE consumer = $1",
            SCAN_CONSUMER,
        )
        return bool(rows[0]["n"] > before[0]["n"])

    await eventually(done)


async def columns(stack: Catalogued, ref: str) -> dict[str, tuple[str, list[str], str]]:
    got = await stack.stub.GetClassification(pb.GetClassificationRequest(ref=object_ref(ref)))
    return {c.column: (c.level, list(c.compliance), c.source) for c in got.columns}


async def test_manual_classification_is_audited_and_inherited(catalogued: Catalogued) -> None:
    await scanned(catalogued)
    got = await catalogued.stub.SetClassification(
        pb.SetClassificationRequest(
            ref=object_ref(CUSTOMERS),
            column="ssn",
            level="Restricted",
            compliance=["hipaa", "gdpr"],
        )
    )
    assert (got.level, list(got.compliance), got.source) == (
        "restricted",
        ["gdpr", "hipaa"],
        "manual",
    )
    assert got.object_urn.startswith("urn:dcs:") and got.classified_by

    view = await catalogued.stub.GetClassification(
        pb.GetClassificationRequest(ref=object_ref(CUSTOMERS))
    )
    assert not view.HasField("own")
    assert (view.effective.level, view.effective.source) == ("restricted", "inherited")

    # By URN too; the object's own classification then wins over its columns.
    await catalogued.stub.SetClassification(
        pb.SetClassificationRequest(ref=object_ref(got.object_urn), level="internal")
    )
    view = await catalogued.stub.GetClassification(
        pb.GetClassificationRequest(ref=object_ref(CUSTOMERS))
    )
    assert (view.effective.level, view.effective.source) == ("internal", "manual")

    await catalogued.stub.SetClassification(
        pb.SetClassificationRequest(ref=object_ref(CUSTOMERS), column="ssn", level="secret")
    )
    audits = await eventually(lambda: _audits(catalogued, 3), within=20)
    ssn = [a for a in audits if a["entity_id"] == f"{CUSTOMERS}.ssn"]
    changes = (
        json.loads(ssn[-1]["changes"])
        if isinstance(ssn[-1]["changes"], str)
        else ssn[-1]["changes"]
    )
    assert changes["level"] == {"old": "restricted", "new": "secret"}
    assert changes["compliance"] == {"old": ["gdpr", "hipaa"], "new": []}

    listed = await catalogued.stub.ListClassifications(
        pb.ListClassificationsRequest(level="secret")
    )
    assert [(c.object_ref, c.column) for c in listed.items] == [(CUSTOMERS, "ssn")]


async def _audits(stack: Catalogued, n: int) -> list[object] | None:
    rows = await stack.audit_rows("classification.set")
    return rows if len(rows) >= n else None


@pytest.mark.parametrize(
    ("request_", "code", "needle"),
    [
        (
            pb.SetClassificationRequest(ref=object_ref("demo.public.nope"), level="public"),
            "NOT_FOUND",
            "nope",
        ),
        (
            pb.SetClassificationRequest(ref=object_ref(CUSTOMERS), column="zip", level="public"),
            "NOT_FOUND",
            "zip",
        ),
        (
            pb.SetClassificationRequest(ref=object_ref(CUSTOMERS), level="top"),
            "INVALID_ARGUMENT",
            "top",
        ),
        (
            pb.SetClassificationRequest(
                ref=object_ref(CUSTOMERS), level="public", compliance=["iso"]
            ),
            "INVALID_ARGUMENT",
            "iso",
        ),
    ],
)
async def test_classification_errors(
    catalogued: Catalogued, request_: pb.SetClassificationRequest, code: str, needle: str
) -> None:
    await scanned(catalogued)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalogued.stub.SetClassification(request_)
    assert err.value.code().name == code and needle in (err.value.details() or "")


async def test_roadmap_rules_never_override_manual(catalogued: Catalogued) -> None:
    await scanned(catalogued)
    await catalogued.stub.SetClassification(
        pb.SetClassificationRequest(ref=object_ref(CUSTOMERS), column="email", level="public")
    )
    rules = await catalogued.stub.ImportClassificationRules(
        pb.ImportClassificationRulesRequest(yaml=ROADMAP_YAML)
    )
    assert len(rules.items) == 5

    result = await catalogued.stub.ApplyClassificationRules(pb.ApplyClassificationRulesRequest())
    # ssn, phone, finance.invoices (schema rule); email is manual.
    assert (result.objects, result.classified, result.skipped, result.errors) == (3, 3, 1, 0)
    assert await columns(catalogued, CUSTOMERS) == {
        "email": ("public", [], "manual"),
        "phone": ("confidential", ["gdpr"], "rule"),
        "ssn": ("restricted", ["gdpr", "hipaa"], "rule"),
    }
    invoices = await catalogued.stub.GetClassification(
        pb.GetClassificationRequest(ref=object_ref("demo.finance.invoices"))
    )
    assert (invoices.own.level, list(invoices.own.compliance), invoices.own.rule_name) == (
        "confidential",
        ["pci_dss", "sox"],
        "Financial Data",
    )

    again = await catalogued.stub.ApplyClassificationRules(
        pb.ApplyClassificationRulesRequest(source_name="demo")
    )
    assert (again.classified, again.unchanged, again.skipped) == (0, 3, 1)

    # Disabling a rule takes its classifications away on the next run; manual ones stay.
    ssn_rule = next(r for r in rules.items if r.name == "PII - SSN/National ID")
    await catalogued.stub.UpdateClassificationRule(
        pb.UpdateClassificationRuleRequest(
            id=ssn_rule.id,
            update_mask=FieldMask(paths=["enabled"]),
            rule=pb.ClassificationRule(enabled=False),
        )
    )
    await catalogued.stub.ApplyClassificationRules(pb.ApplyClassificationRulesRequest())
    assert set(await columns(catalogued, CUSTOMERS)) == {"email", "phone"}
    assert await eventually(lambda: catalogued.audit_rows("classification.clear"))


async def test_rules_apply_after_every_scan(catalogued: Catalogued) -> None:
    await catalogued.stub.ImportClassificationRules(
        pb.ImportClassificationRulesRequest(yaml=ROADMAP_YAML)
    )
    await catalogued.stub.CreateClassificationRule(
        pb.CreateClassificationRuleRequest(
            rule=pb.ClassificationRule(
                name="Catalogue", object_name_pattern="^products$", level="public", enabled=True
            )
        )
    )
    await catalogued.scan()

    async def email_classified() -> dict[str, tuple[str, list[str], str]] | None:
        try:
            got = await columns(catalogued, CUSTOMERS)
        except grpc.aio.AioRpcError:
            return None
        return got if "email" in got else None

    got = await eventually(email_classified, within=20)
    assert got["email"] == ("confidential", ["gdpr"], "rule")

    async def products_classified() -> tuple[str, str] | None:
        # The run goes object by object: customers may be done before products is.
        got = await catalogued.stub.GetClassification(
            pb.GetClassificationRequest(ref=object_ref("demo.public.products"))
        )
        return (got.effective.level, got.effective.source) if got.effective.level else None

    assert await eventually(products_classified, within=20) == ("public", "rule")
    audits = await eventually(lambda: catalogued.audit_rows("classification.set"))
    assert {r["user_id"] for r in audits} == {"system"}


async def test_rule_crud_and_errors(catalogued: Catalogued) -> None:
    rule = pb.ClassificationRule(
        name="Cards", column_name_pattern="(?i)card", level="restricted", compliance=["pci_dss"]
    )
    created = await catalogued.stub.CreateClassificationRule(
        pb.CreateClassificationRuleRequest(rule=rule)
    )
    assert created.id and created.created_by
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalogued.stub.CreateClassificationRule(
            pb.CreateClassificationRuleRequest(rule=rule)
        )
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS

    bad = pb.ClassificationRule(name="Bad", schema_pattern="(fin", level="internal")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalogued.stub.CreateClassificationRule(pb.CreateClassificationRuleRequest(rule=bad))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "`(fin`" in (err.value.details() or "")

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalogued.stub.UpdateClassificationRule(
            pb.UpdateClassificationRuleRequest(
                id=created.id, update_mask=FieldMask(paths=["column_name_pattern"]),
                rule=pb.ClassificationRule(column_name_pattern="x++("),
            )
        )  # fmt: skip
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "x++(" in err.value.details()

    updated = await catalogued.stub.UpdateClassificationRule(
        pb.UpdateClassificationRuleRequest(
            id=created.id, update_mask=FieldMask(paths=["priority", "level"]),
            rule=pb.ClassificationRule(priority=7, level="secret"),
        )
    )  # fmt: skip
    assert (updated.priority, updated.level, updated.column_name_pattern) == (
        7,
        "secret",
        "(?i)card",
    )
    audit = (await eventually(lambda: catalogued.audit_rows("classification_rule.update")))[0]
    assert set(
        json.loads(audit["changes"]) if isinstance(audit["changes"], str) else audit["changes"]
    ) == {"priority", "level"}

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalogued.stub.ImportClassificationRules(
            pb.ImportClassificationRulesRequest(yaml="rules: [{name: x, match: {tags: [a]}}]")
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    await catalogued.stub.DeleteClassificationRule(
        pb.DeleteClassificationRuleRequest(id=created.id)
    )
    listed = await catalogued.stub.ListClassificationRules(pb.ListClassificationRulesRequest())
    assert list(listed.items) == []
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalogued.stub.DeleteClassificationRule(
            pb.DeleteClassificationRuleRequest(id=created.id)
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
