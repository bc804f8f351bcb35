"""Masking rules through the real gRPC API, columns resolved by a real catalog: CRUD audited
with field diffs and published; one enabled rule per column; MaskValues masks for a role as the
masking library does; the SQL preview runs on the PostgreSQL source and masks like it."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import grpc
import pytest
from google.protobuf import struct_pb2
from google.protobuf.field_mask_pb2 import FieldMask
from governance_testkit import Catalogued

from datacompass.common.v1 import events_pb2
from datacompass.governance.v1 import masking_pb2 as pb
from dckit.protoconv import object_ref
from devstack.testing import eventually, execute
from devstack.urls import plain
from governance_service.domain.masking import Masker, MaskingKeys, validate_config

CUSTOMERS = "demo.public.customers"
INVOICES = "demo.finance.invoices"
CHANGED = "datacompass.governance.masking_rule.changed"


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(values)
    return out


def _update(rule_id: int, **fields: Any) -> pb.UpdateMaskingRuleRequest:
    """An update of the given fields (the mask names them)."""
    return pb.UpdateMaskingRuleRequest(
        id=rule_id, rule=pb.MaskingRule(**fields), update_mask=FieldMask(paths=sorted(fields))
    )


def _values(values: list[Any]) -> struct_pb2.ListValue:
    out = struct_pb2.ListValue()
    out.extend(values)
    return out


def _changes(row: Any) -> dict[str, Any]:
    value = row["changes"]
    return json.loads(value) if isinstance(value, str) else dict(value)


def _masker(gov: Catalogued) -> Masker:
    secret = gov.service.settings.masking_key.get_secret_value()
    return Masker(MaskingKeys.derive(secret))


async def _code(call: Any) -> tuple[str, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value.code().name, err.value.details() or ""


async def _events(gov: Catalogued) -> list[pb.MaskingRuleChanged]:
    rows = await gov.sql(
        "SELECT payload FROM governance.outbox WHERE event_type = $1 ORDER BY created_at", CHANGED
    )
    out = []
    for row in rows:
        envelope = events_pb2.EventEnvelope.FromString(bytes(row["payload"]))
        message = pb.MaskingRuleChanged()
        envelope.data.Unpack(message)
        out.append(message)
    return out


async def test_masking_rule_lifecycle(catalogued: Catalogued) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    email = await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(
            ref=object_ref(CUSTOMERS),
            column="EMAIL",
            method="Partial_Redaction",
            config=_struct({"preserve_prefix": 1}),
            exempt_roles=["Steward", "steward"],
        )
    )
    assert (email.object_ref, email.column, email.method) == (
        CUSTOMERS,
        "email",
        "partial_redaction",
    )
    assert email.column_urn.endswith("email") and email.object_urn.startswith("urn:")
    assert dict(email.config) == validate_config("partial_redaction", {"preserve_prefix": 1})
    assert list(email.exempt_roles) == ["steward"] and email.preserve_null and email.enabled
    assert "email" in email.name and "partial_redaction" in email.name
    ssn = await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(
            ref=object_ref(email.object_urn), column="ssn", method="hashing", name="SSN hash",
            preserve_null=False, description="no clear SSNs",
        )
    )  # fmt: skip
    assert (ssn.name, ssn.preserve_null, ssn.description) == ("SSN hash", False, "no clear SSNs")
    other = await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(
            ref=object_ref(INVOICES), column="amount", method="noise_addition"
        )
    )

    listed = await stub.ListMaskingRules(pb.ListMaskingRulesRequest(ref=object_ref(CUSTOMERS)))
    assert [r.id for r in listed.items] == [email.id, ssn.id]
    by_urn = await stub.ListMaskingRules(
        pb.ListMaskingRulesRequest(ref=object_ref(email.object_urn))
    )
    assert [r.id for r in by_urn.items] == [email.id, ssn.id]
    one = await stub.ListMaskingRules(
        pb.ListMaskingRulesRequest(ref=object_ref(CUSTOMERS), column="SSN")
    )
    assert [r.id for r in one.items] == [ssn.id]
    everything = await stub.ListMaskingRules(pb.ListMaskingRulesRequest())
    assert sorted(r.id for r in everything.items) == sorted([email.id, ssn.id, other.id])

    updated = await stub.UpdateMaskingRule(
        _update(
            email.id, config=_struct({"preserve_prefix": 3, "redaction_char": "#"}),
            exempt_roles=["admin"],
        )
    )  # fmt: skip
    assert updated.config["preserve_prefix"] == 3 and updated.config["redaction_char"] == "#"
    assert list(updated.exempt_roles) == ["admin"] and updated.method == "partial_redaction"
    # A new method without a config starts from that method's defaults.
    switched = await stub.UpdateMaskingRule(_update(ssn.id, method="redaction"))
    assert dict(switched.config) == validate_config("redaction", {})
    assert switched.name == "SSN hash" and not switched.preserve_null
    got = await stub.GetMaskingRule(pb.GetMaskingRuleRequest(id=email.id))
    assert got == updated

    await stub.DeleteMaskingRule(pb.DeleteMaskingRuleRequest(id=other.id))
    code, _ = await _code(stub.GetMaskingRule(pb.GetMaskingRuleRequest(id=other.id)))
    assert code == "NOT_FOUND"

    async def audited() -> list[Any] | None:
        rows = [
            *await catalogued.audit_rows("masking_rule.create"),
            *await catalogued.audit_rows("masking_rule.update"),
            *await catalogued.audit_rows("masking_rule.delete"),
        ]
        return rows if len(rows) == 6 else None

    rows = await eventually(audited, within=20)
    first = rows[0]
    assert (first["entity_type"], first["entity_id"], first["entity_urn"]) == (
        "masking_rule",
        str(email.id),
        email.object_urn,
    )
    assert _changes(first)["method"] == {"old": None, "new": "partial_redaction"}
    update = next(r for r in rows if r["action"] == "masking_rule.update")
    changes = _changes(update)
    assert set(changes) == {"config", "exempt_roles"}
    assert changes["exempt_roles"] == {"old": ["steward"], "new": ["admin"]}
    assert changes["config"]["new"]["redaction_char"] == "#"
    delete = next(r for r in rows if r["action"] == "masking_rule.delete")
    assert _changes(delete)["column"] == {"old": "amount", "new": None}

    events = await _events(catalogued)
    assert [(e.change, e.rule.id) for e in events] == [
        ("created", email.id),
        ("created", ssn.id),
        ("created", other.id),
        ("updated", email.id),
        ("updated", ssn.id),
        ("deleted", other.id),
    ]
    assert events[3].rule.config["redaction_char"] == "#"


async def test_one_enabled_rule_per_column(catalogued: Catalogued) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    first = await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(ref=object_ref(CUSTOMERS), column="phone", method="redaction")
    )
    outbox = "SELECT count(*) AS n FROM governance.outbox"
    written = (await catalogued.sql(outbox))[0]["n"]
    code, details = await _code(
        stub.CreateMaskingRule(
            pb.CreateMaskingRuleRequest(ref=object_ref(CUSTOMERS), column="PHONE", method="hashing")
        )
    )
    assert code == "ALREADY_EXISTS", details
    assert "already has an enabled masking rule" in details and f"rule {first.id}" in details
    # A disabled one may wait next to it, but not be enabled while the first one is.
    spare = await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(
            ref=object_ref(CUSTOMERS), column="phone", method="hashing", enabled=False
        )
    )
    code, details = await _code(stub.UpdateMaskingRule(_update(spare.id, enabled=True)))
    assert code == "ALREADY_EXISTS" and f"rule {first.id}" in details
    assert (await catalogued.sql(outbox))[0]["n"] == written + 2  # the spare's audit + event
    await stub.UpdateMaskingRule(_update(first.id, enabled=False))
    swapped = await stub.UpdateMaskingRule(_update(spare.id, enabled=True))
    assert swapped.enabled


@pytest.mark.parametrize(
    ("request_", "code", "needle"),
    [
        (pb.CreateMaskingRuleRequest(
            ref=object_ref(CUSTOMERS), column="shoe_size", method="redaction"),
         "NOT_FOUND", "shoe_size"),
        (pb.CreateMaskingRuleRequest(ref=object_ref(CUSTOMERS), method="redaction"),
         "INVALID_ARGUMENT", "column:"),
        (pb.CreateMaskingRuleRequest(
            ref=object_ref("demo.public.nope"), column="x", method="redaction"),
         "NOT_FOUND", "nope"),
        (pb.CreateMaskingRuleRequest(column="email", method="redaction"),
         "INVALID_ARGUMENT", "object:"),
        (pb.CreateMaskingRuleRequest(ref=object_ref(CUSTOMERS), column="email", method="scramble"),
         "INVALID_ARGUMENT", "masking_method:"),
        (pb.CreateMaskingRuleRequest(ref=object_ref(CUSTOMERS), column="email", method="custom"),
         "INVALID_ARGUMENT", "masking_method:"),
        (pb.CreateMaskingRuleRequest(
            ref=object_ref(CUSTOMERS), column="email", method="partial_redaction",
            config=_struct({"preserve_prefix": -1})),
         "INVALID_ARGUMENT", "method_config.preserve_prefix:"),
        (pb.CreateMaskingRuleRequest(
            ref=object_ref(CUSTOMERS), column="email", method="hashing",
            config=_struct({"colour": 1})),
         "INVALID_ARGUMENT", "method_config.colour:"),
        (pb.CreateMaskingRuleRequest(
            ref=object_ref(CUSTOMERS), column="email", method="hashing", exempt_roles=["analyst"]),
         "INVALID_ARGUMENT", "exempt_roles:"),
        (pb.GetMaskingRuleRequest(id=999), "NOT_FOUND", "999"),
        (pb.DeleteMaskingRuleRequest(id=999), "NOT_FOUND", "999"),
        (_update(999, enabled=False), "NOT_FOUND", "999"),
        (pb.ListMaskingRulesRequest(ref=object_ref("demo.public.nope")), "NOT_FOUND", "nope"),
        (pb.ListMaskingRulesRequest(column="email"), "INVALID_ARGUMENT", "object:"),
        (pb.PreviewMaskingSqlRequest(ref=object_ref(CUSTOMERS), dialect="oracle"),
         "INVALID_ARGUMENT", "dialect:"),
        (pb.MaskValuesRequest(role="viewer"), "INVALID_ARGUMENT", "object:"),
    ],
)  # fmt: skip
async def test_masking_rule_errors(
    catalogued: Catalogued, request_: Any, code: str, needle: str
) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    method = {
        pb.CreateMaskingRuleRequest: stub.CreateMaskingRule,
        pb.GetMaskingRuleRequest: stub.GetMaskingRule,
        pb.DeleteMaskingRuleRequest: stub.DeleteMaskingRule,
        pb.UpdateMaskingRuleRequest: stub.UpdateMaskingRule,
        pb.ListMaskingRulesRequest: stub.ListMaskingRules,
        pb.PreviewMaskingSqlRequest: stub.PreviewMaskingSql,
        pb.MaskValuesRequest: stub.MaskValues,
    }[type(request_)]
    got_code, details = await _code(method(request_))
    assert got_code == code and needle in details, details
    assert not await catalogued.sql("SELECT id FROM governance.masking_rules")


async def test_invalid_update_changes_nothing(catalogued: Catalogued) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    rule = await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(ref=object_ref(CUSTOMERS), column="name", method="redaction")
    )
    written = (await catalogued.sql("SELECT count(*) AS n FROM governance.outbox"))[0]["n"]
    for bad, needle in [
        (_update(rule.id, config=_struct({"truncate": 9})), "truncate"),
        (_update(rule.id, exempt_roles=["x"]),
         "exempt_roles:"),
        (pb.UpdateMaskingRuleRequest(id=rule.id), "update_mask"),
    ]:  # fmt: skip
        code, details = await _code(stub.UpdateMaskingRule(bad))
        assert code == "INVALID_ARGUMENT" and needle in details, details
    assert await stub.GetMaskingRule(pb.GetMaskingRuleRequest(id=rule.id)) == rule
    assert (await catalogued.sql("SELECT count(*) AS n FROM governance.outbox"))[0]["n"] == written


async def test_mask_values_by_role(catalogued: Catalogued) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    config = {"preserve_prefix": 2}
    email = await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(
            ref=object_ref(CUSTOMERS), column="email", method="partial_redaction",
            config=_struct(config), exempt_roles=["steward"],
        )
    )  # fmt: skip
    await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(
            ref=object_ref(CUSTOMERS), column="ssn", method="hashing", preserve_null=False
        )
    )
    await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(ref=object_ref(CUSTOMERS), column="phone", method="redaction",
                                    enabled=False)
    )  # fmt: skip
    await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(
            ref=object_ref(CUSTOMERS), column="name", method="noise_addition"
        )
    )
    emails = ["alice@example.com", None, "bob@corp.io"]
    ssns = ["123-45-6789", None]
    phones = ["+44 20 7946 0000"]
    ids = [1, 2, 3]
    columns = [
        pb.ColumnValues(column="Email", values=_values(emails)),
        pb.ColumnValues(column="ssn", values=_values(ssns)),
        pb.ColumnValues(column="phone", values=_values(phones)),
        pb.ColumnValues(column="id", values=_values(ids)),
        pb.ColumnValues(column="name", values=_values(["Ann", 40])),
    ]
    masker = _masker(catalogued)

    def clear(resp: pb.MaskValuesResponse) -> list[tuple[str, list[Any]]]:
        return [(c.column, list(c.values)) for c in resp.columns]

    as_viewer = await stub.MaskValues(
        pb.MaskValuesRequest(ref=object_ref(CUSTOMERS), role="viewer", columns=columns)
    )
    assert list(as_viewer.masked_columns) == ["Email", "ssn", "name"]
    expected_emails = [masker.mask("partial_redaction", config, v) for v in emails]
    assert expected_emails[1] is None and expected_emails[0] != emails[0]
    expected_ssns = [masker.mask("hashing", {}, v, preserve_null=False) for v in ssns]
    assert clear(as_viewer) == [
        ("Email", expected_emails),
        ("ssn", expected_ssns),
        ("phone", phones),  # its rule is disabled
        ("id", [float(i) for i in ids]),  # no rule: unchanged
        # Text cannot take noise: masked as "****" rather than failing or leaking.
        ("name", ["****", float(masker.mask("noise_addition", {}, 40))]),
    ]
    # The steward is exempt from the email rule only; by URN the same rules apply.
    as_steward = await stub.MaskValues(
        pb.MaskValuesRequest(ref=object_ref(email.object_urn), role="steward", columns=columns)
    )
    assert list(as_steward.masked_columns) == ["ssn", "name"]
    assert clear(as_steward)[:2] == [("Email", emails), ("ssn", expected_ssns)]
    # No role: nobody is exempt.
    anonymous = await stub.MaskValues(
        pb.MaskValuesRequest(ref=object_ref(CUSTOMERS), columns=columns)
    )
    assert clear(anonymous) == clear(as_viewer)
    # An object without rules passes through.
    untouched = await stub.MaskValues(
        pb.MaskValuesRequest(ref=object_ref(INVOICES), role="viewer", columns=columns)
    )
    assert not untouched.masked_columns and clear(untouched)[0] == ("Email", emails)


async def test_preview_sql_runs_on_the_postgres_source(catalogued: Catalogued) -> None:
    await catalogued.scan()
    stub = catalogued.stub
    config = {"preserve_prefix": 1, "preserve_domain": True}
    await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(
            ref=object_ref(CUSTOMERS),
            column="email",
            method="partial_redaction",
            config=_struct(config),
        )
    )
    await stub.CreateMaskingRule(
        pb.CreateMaskingRuleRequest(ref=object_ref(CUSTOMERS), column="ssn", method="tokenization")
    )
    preview = await stub.PreviewMaskingSql(pb.PreviewMaskingSqlRequest(ref=object_ref(CUSTOMERS)))
    assert (preview.object_ref, preview.dialect) == (CUSTOMERS, "postgres")
    assert [n.split(":")[0] for n in preview.notes] == ["ssn"]  # keyed: redacted in SQL

    rows = [(1, "alice@example.com", "123-45-6789"), (2, None, None), (3, "bo@x.org", "1")]
    url = plain(catalogued.source_url)
    await execute(url, "TRUNCATE public.customers")
    conn = await asyncpg.connect(url)
    try:
        await conn.executemany(
            "INSERT INTO public.customers (id, email, ssn) VALUES ($1, $2, $3)", rows
        )
        await conn.execute(preview.sql)
        got = await conn.fetch(
            "SELECT id, email, ssn, name FROM public.customers_masked ORDER BY id"
        )
    finally:
        await conn.close()
    masker = _masker(catalogued)
    assert [r["email"] for r in got] == [
        masker.mask("partial_redaction", config, email) for _, email, _ in rows
    ]
    assert [r["ssn"] for r in got] == ["****", None, "****"]
    assert [r["name"] for r in got] == [None, None, None]  # unruled: as stored

    databricks = await stub.PreviewMaskingSql(
        pb.PreviewMaskingSqlRequest(ref=object_ref(CUSTOMERS), dialect="databricks")
    )
    assert databricks.dialect == "databricks" and "SET MASK" in databricks.sql
    assert "`demo`.`public`.`customers`" in databricks.sql
