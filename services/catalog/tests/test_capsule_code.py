"""Capsule as code and co-versioning over real gRPC and PostgreSQL: export → apply → export is
byte-identical, a dry run reports the plan and writes nothing, a file with any bad entry writes
nothing and names every bad path, an apply is one change set in the audit, and each apply (or
semantic edit) becomes a schema version whose diff shows definition and term changes."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import asyncpg
import grpc
import pytest
import yaml
from catalog_testkit import SourceDb, audit_records, create_source, outbox_rows

from catalog_service.api import glossary_mappers, semantics_mappers
from catalog_service.app import CatalogService
from catalog_service.application.capsule_code import CapsuleCodeUseCases
from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.catalog.v1 import catalog_pb2_grpc, semantics_pb2_grpc
from datacompass.catalog.v1 import semantics_pb2 as pb
from datacompass.common.v1 import refs_pb2
from dckit import context
from dckit.errors import InvalidArgument, Unavailable
from dckit.grpc_client import channel

Catalog = catalog_pb2_grpc.CatalogServiceStub
Semantics = semantics_pb2_grpc.SemanticsServiceStub
ORDERS = refs_pb2.ObjectRef(qualified_name="shop.sales.orders")
URN = "urn:dcs:postgres:table:shop.sales:orders"
AS_ERIN = [("x-dc-actor", "erin")]

FILE = f"""\
data_capsule:
  urn: {URN}
  name: orders
  description: Orders placed in the shop
  layer: silver
  tags: [sales, critical]
  business_terms:
    - Revenue
    - term: Order
      type: defines
  columns:
    amount:
      business_definition: Total order value including tax
      semantic_type: metric
      unit_of_measure: USD
      min_value: 0
      max_value: 1000000
      business_terms:
        - term: Revenue
          type: derived_from
    note:
      value_domain: note_kind
      examples: [gift, rush]
"""


@pytest.fixture
async def semantics(service: CatalogService) -> AsyncIterator[Semantics]:
    chan = channel(f"127.0.0.1:{service.grpc.bound_port}")
    try:
        yield semantics_pb2_grpc.SemanticsServiceStub(chan)
    finally:
        await chan.close()


@pytest.fixture
async def shop(stub: Catalog, source_db: SourceDb, semantics: Semantics) -> Catalog:
    await create_source(stub, "shop", source_db.connection())
    run = await stub.StartScan(cpb.StartScanRequest(source_name="shop", wait=True))
    assert run.status == cpb.SCAN_STATUS_SUCCEEDED, run.error
    for name in ("Revenue", "Order"):
        await semantics.CreateBusinessTerm(
            pb.CreateBusinessTermRequest(name=name, definition=f"What {name} means")
        )
    await semantics.CreateValueDomain(
        pb.CreateValueDomainRequest(
            name="note_kind",
            domain_type=pb.VALUE_DOMAIN_TYPE_ENUM,
            values=[pb.DomainValue(code="gift"), pb.DomainValue(code="rush")],
        )
    )
    return stub


async def apply(
    semantics: Semantics, content: str, *, dry_run: bool = False
) -> pb.ApplyCapsuleCodeResponse:
    return await semantics.ApplyCapsuleCode(
        pb.ApplyCapsuleCodeRequest(ref=ORDERS, content=content, dry_run=dry_run),
        metadata=AS_ERIN,
    )


async def export(semantics: Semantics) -> str:
    return (await semantics.ExportCapsuleCode(pb.ExportCapsuleCodeRequest(ref=ORDERS))).content


async def counts(conn: asyncpg.Connection) -> tuple[int, ...]:
    tables = ("column_semantics", "term_links", "object_versions", "outbox")
    return tuple([await conn.fetchval(f"SELECT count(*) FROM catalog.{t}") for t in tables])


async def refused(semantics: Semantics, content: str) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await apply(semantics, content)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    return err.value.details() or ""


async def test_round_trip_plan_and_one_change_set(
    shop: Catalog, semantics: Semantics, catalog_db: asyncpg.Connection
) -> None:
    untouched = await export(semantics)
    assert untouched.startswith(f"data_capsule:\n  urn: {URN}\n  name: orders\n")

    before = await counts(catalog_db)
    planned = await apply(semantics, FILE, dry_run=True)
    assert planned.dry_run and not planned.change_set_id
    assert await counts(catalog_db) == before  # a dry run writes nothing
    paths = {c.path: (json.loads(c.old_json), json.loads(c.new_json)) for c in planned.changes}
    assert paths["description"] == (None, "Orders placed in the shop")
    assert paths["columns.amount.unit_of_measure"] == (None, "USD")
    assert paths["business_terms.Order"] == (None, "defines")
    assert paths["columns.amount.business_terms.Revenue"] == (None, "derived_from")
    assert paths["tags"] == ([], ["critical", "sales"])

    done = await apply(semantics, FILE)
    assert not done.dry_run and done.change_set_id
    assert [c.path for c in done.changes] == [c.path for c in planned.changes]
    assert done.version == "1.0.1"  # the semantic metadata became a patch version

    exported = await export(semantics)
    again = await apply(semantics, exported)
    assert list(again.changes) == [] and not again.change_set_id  # nothing to do
    assert await export(semantics) == exported  # export → apply → export: the same bytes
    assert "unit_of_measure: USD" in exported and "- Revenue\n" in exported

    records = [r for r in audit_records(await outbox_rows(catalog_db)) if r.change_set_id]
    assert {r.change_set_id for r in records} == {done.change_set_id}
    actions = sorted({r.action for r in records})
    assert actions == ["capsule.apply", "column.describe", "object.update", "term_link.create"]
    assert all(r.actor == "erin" for r in records)

    # The file is the whole truth for the sections it names: dropping a column's entry
    # clears its meaning and links; a section left out stays as it is.
    smaller = FILE.split("  columns:")[0].replace("layer: silver", "layer: gold")
    smaller += "  columns:\n    amount:\n      business_definition: Total order value\n"
    changed = await apply(semantics, smaller)
    paths2 = {c.path for c in changed.changes}
    assert "layer" in paths2 and "columns.note.value_domain" in paths2
    assert "columns.amount.business_terms.Revenue" in paths2
    assert "business_terms.Order" not in paths2
    assert changed.version == "1.0.2"


async def test_diff_shows_definition_and_term_changes(shop: Catalog, semantics: Semantics) -> None:
    await apply(semantics, FILE)
    edited = FILE.replace("including tax", "including tax and shipping").replace(
        "    - Revenue\n", ""
    )
    await apply(semantics, edited)
    diff = await shop.DiffVersions(
        cpb.DiffVersionsRequest(ref=ORDERS, from_version="1.0.1", to_version="1.0.2")
    )
    kinds = {(c.kind, c.target) for c in diff.changes}
    assert ("column_definition_changed", "amount") in kinds
    assert ("term_unlinked", "Revenue") in kinds
    assert not diff.breaking
    # A semantic edit through the other use cases makes a version too.
    await semantics.UpdateColumnSemantics(
        pb.UpdateColumnSemanticsRequest(
            ref=ORDERS,
            column="note",
            semantics=pb.ColumnSemantics(unit_of_measure="chars"),
            update_mask={"paths": ["unit_of_measure"]},
        )
    )
    latest = await shop.DiffVersions(cpb.DiffVersionsRequest(ref=ORDERS, from_version="1.0.2"))
    assert [(c.kind, c.target) for c in latest.changes] == [("column_meaning_changed", "note")]


async def test_a_bad_file_writes_nothing_and_names_every_path(
    shop: Catalog, semantics: Semantics, catalog_db: asyncpg.Connection
) -> None:
    before = await counts(catalog_db)
    bad = (
        FILE.replace("layer: silver", "layer: platinum")
        .replace("unit_of_measure: USD", "unit_of_measure: USD\n      colour: red")
        .replace("value_domain: note_kind", "value_domain: nope")
        .replace("type: defines", "type: owns")
        + "  owner: {team: x}\n"
    )
    message = await refused(semantics, bad)
    for path in (
        "data_capsule.layer",
        "data_capsule.columns.amount.colour: unknown key",
        "data_capsule.business_terms[1].type",
        "data_capsule.owner: unknown key",
    ):
        assert path in message, message
    # Valid structure, but the catalog does not know the names: still nothing written, and
    # the later (valid) sections of the file were not applied either.
    late = FILE.replace("value_domain: note_kind", "value_domain: nope").replace(
        "- term: Revenue\n          type: derived_from", "- Ghost"
    )
    message = await refused(semantics, late)
    assert "data_capsule.columns.note.value_domain: unknown value domain" in message
    assert "data_capsule.columns.amount.business_terms.Ghost: unknown business term" in message
    assert "columns.missing" in await refused(
        semantics, FILE + "    missing:\n      unit_of_measure: m\n"
    )
    assert "not " + URN in await refused(semantics, FILE.replace(URN, URN + "x"))
    assert "min_value" in await refused(
        semantics, FILE.replace("max_value: 1000000", "max_value: -1")
    )
    assert "not valid YAML" in await refused(semantics, "data_capsule: [")
    assert await counts(catalog_db) == before


def test_the_documented_example_is_a_valid_file() -> None:
    """docs/examples/capsule-orders.yml (Appendix A on the demo's orders) parses cleanly; the
    names it uses are those of the steward's walk in docs/glossary-and-semantics.md."""
    from pathlib import Path

    from catalog_service.domain.capsule_code import parse

    root = Path(__file__).resolve().parents[3]
    parsed = parse((root / "docs/examples/capsule-orders.yml").read_text(), layers=["gold"])
    assert parsed.urn == "urn:dcs:postgres:table:demo.public:orders"
    assert parsed.sections["columns"]["order_total"]["unit_of_measure"] == "USD"
    assert parsed.sections["business_terms"] == {"Customer Lifetime Value": "uses"}


async def test_concurrent_edits_of_one_capsule_each_make_a_version(
    shop: Catalog, semantics: Semantics
) -> None:
    import asyncio

    def describe(column: str, unit: str) -> pb.UpdateColumnSemanticsRequest:
        return pb.UpdateColumnSemanticsRequest(
            ref=ORDERS,
            column=column,
            semantics=pb.ColumnSemantics(unit_of_measure=unit),
            update_mask={"paths": ["unit_of_measure"]},
        )

    await asyncio.gather(
        *(
            semantics.UpdateColumnSemantics(describe(col, f"u{i}"))
            for i, col in enumerate(["amount", "note", "customer_id", "id"])
        )
    )
    got = await shop.ListVersions(cpb.ListVersionsRequest(ref=ORDERS))
    assert sorted(v.version for v in got.items) == ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4"]


def test_plan_keeps_dotted_column_and_term_names_whole() -> None:
    from catalog_service.domain.capsule_code import column_changes, empty_state, plan
    from catalog_service.domain.versions import semantic_changes

    target = {
        **empty_state(),
        "columns": {"a.b": {"unit_of_measure": "m", "business_terms": {"v1.2 term": "uses"}}},
    }
    changes = plan(empty_state(), target)
    assert column_changes(changes) == {"a.b": {"unit_of_measure"}}
    assert [(c.column, c.term) for c in changes if c.term] == [("a.b", "v1.2 term")]
    kinds = [(c.kind, c.target) for c in semantic_changes({}, target)]
    assert kinds == [("column_meaning_changed", "a.b"), ("column_term_linked", "a.b")]


# ------------------------------------------------------------ quality_rules (another service)
RULES = """\
  quality_rules:
    - column: id
      rule: unique
      severity: error
      blocking: true
    - column: amount
      rule: range_check
      severity: warning
      blocking: false
      max: 1000000
      min: 0
    - capsule_level: true
      rule: freshness
      severity: error
      blocking: false
      threshold: 4 hours
"""


class FakeQuality:
    """The quality service's rules of capsules, in memory: the port's contract (validate
    writes nothing, ids on list), and a failure injected on the n-th write."""

    TYPES = ("unique", "not_null", "range_check", "freshness")

    def __init__(self) -> None:
        self.rules: dict[int, dict[str, Any]] = {}
        self.next_id = 1
        self.writes = 0
        self.fail_at = 0  # the write (1-based) that fails; 0 = none
        self.change_sets: list[str] = []

    def _write(self) -> None:
        self.writes += 1
        self.change_sets.append(context.current().change_set)
        if self.writes == self.fail_at:
            raise Unavailable("quality service is down")

    def snapshot(self) -> list[dict[str, Any]]:
        return sorted(self.rules.values(), key=lambda r: (r["column"], r["rule"]))

    async def rules_of(self, object_urn: str) -> list[dict[str, Any]]:
        return [
            {**r, "id": i} for i, r in sorted(self.rules.items()) if r["object_urn"] == object_urn
        ]

    async def validate(
        self, object_urn: str, rules: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any] | str]:
        out: list[dict[str, Any] | str] = []
        for rule in rules:
            config = rule["config"]
            if rule["rule"] not in self.TYPES:
                out.append(f"unknown rule type {rule['rule']!r}")
            elif rule["rule"] == "range_check" and config.get("min", 0) > config.get("max", 0):
                out.append("min must not exceed max")
            elif rule["rule"] == "range_check":  # stored normalised, defaults filled in
                out.append({**rule, "config": {"inclusive": True, **config}})
            else:
                out.append(dict(rule))
        return out

    async def create(self, object_urn: str, rule: Mapping[str, Any]) -> int:
        self._write()
        rule_id, self.next_id = self.next_id, self.next_id + 1
        self.rules[rule_id] = {**_rule_fields(rule), "object_urn": object_urn}
        return rule_id

    async def update(self, rule_id: int, rule: Mapping[str, Any]) -> None:
        self._write()
        self.rules[rule_id] = {**self.rules[rule_id], **_rule_fields(rule)}

    async def delete(self, rule_id: int) -> None:
        self._write()
        del self.rules[rule_id]


def _rule_fields(rule: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("column", "rule", "severity", "blocking", "enabled", "description", "config")
    return {k: rule[k] for k in keys}


@pytest.fixture
def quality() -> FakeQuality:
    return FakeQuality()


@pytest.fixture
def code(service: CatalogService, quality: FakeQuality) -> CapsuleCodeUseCases:
    return CapsuleCodeUseCases(
        service.tx,
        column_payload=semantics_mappers.column_changed,
        link_payload=glossary_mappers.link_changed,
        quality=quality,
    )


async def test_quality_rules_round_trip_plan_and_change_set(
    shop: Catalog, code: CapsuleCodeUseCases, quality: FakeQuality, catalog_db: asyncpg.Connection
) -> None:
    with context.bound(context.RequestContext(actor="erin")):
        planned = await code.apply(ref=URN, content=FILE + RULES, dry_run=True)
        assert quality.writes == 0  # a dry run writes nowhere
        rule_paths = {c.path: c.new for c in planned.changes if c.section == "quality_rules"}
        assert rule_paths["quality_rules.amount.range_check"]["config"] == {
            "min": 0,
            "max": 1000000,
            "inclusive": True,  # as the quality service stores it, defaults filled in
        }
        assert set(rule_paths) == {
            "quality_rules.id.unique",
            "quality_rules.amount.range_check",
            "quality_rules.capsule_level.freshness",
        }
        done = await code.apply(ref=URN, content=FILE + RULES, dry_run=False)
        assert len(quality.rules) == 3
        assert set(quality.change_sets) == {done.change_set_id}  # one change set everywhere
        _, exported = await code.export(URN)
        written = yaml.safe_load(exported)["data_capsule"]["quality_rules"]
        assert [(r.get("column"), r["rule"]) for r in written] == [
            (None, "freshness"),
            ("amount", "range_check"),
            ("id", "unique"),
        ]
        assert written[1] == {**yaml.safe_load(RULES)["quality_rules"][1], "inclusive": True}
        same = await code.apply(ref=URN, content=FILE + RULES, dry_run=False)
        assert same.changes == []  # the file again (defaults left out): nothing to do
        again = await code.apply(ref=URN, content=exported, dry_run=False)
        assert again.changes == [] and quality.writes == 3
        assert (await code.export(URN))[1] == exported  # byte-identical round trip

        # A rule left out is removed, a changed one updated; only rules change: no version.
        fewer = FILE + RULES.split("    - column: amount")[0].replace("error", "critical")
        changed = await code.apply(ref=URN, content=fewer, dry_run=False)
        assert {c.path: c.new is None for c in changed.changes} == {
            "quality_rules.amount.range_check": True,
            "quality_rules.capsule_level.freshness": True,
            "quality_rules.id.unique": False,
        }
        assert changed.version == ""
        assert [r["severity"] for r in quality.rules.values()] == ["critical"]
    records = [r for r in audit_records(await outbox_rows(catalog_db)) if r.change_set_id]
    assert {r.action for r in records if r.change_set_id == changed.change_set_id} == {
        "capsule.apply"
    }


async def test_a_bad_quality_rule_leaves_nothing_written_anywhere(
    shop: Catalog, code: CapsuleCodeUseCases, quality: FakeQuality, catalog_db: asyncpg.Connection
) -> None:
    before = await counts(catalog_db)
    bad = (
        FILE
        + RULES.replace("min: 0", "min: 5000000")
        + "    - column: nope\n      rule: telepathy\n"
    )
    with pytest.raises(InvalidArgument) as err:
        await code.apply(ref=URN, content=bad, dry_run=False)
    message = err.value.message
    assert "data_capsule.quality_rules[1]: min must not exceed max" in message
    assert "data_capsule.quality_rules[3].column" in message
    assert "data_capsule.quality_rules[3]: unknown rule type 'telepathy'" in message
    assert quality.writes == 0 and await counts(catalog_db) == before
    # Structure errors of the section are found with the rest of the file's.
    with pytest.raises(InvalidArgument) as err:
        await code.apply(
            ref=URN,
            content=FILE + "  quality_rules:\n    - rule: unique\n      severity: loud\n",
            dry_run=True,
        )
    assert "quality_rules[0]: names a column or says capsule_level" in err.value.message
    assert "quality_rules[0].severity" in err.value.message


async def test_a_failure_in_the_last_service_undoes_the_earlier_writes(
    shop: Catalog, code: CapsuleCodeUseCases, quality: FakeQuality, catalog_db: asyncpg.Connection
) -> None:
    with context.bound(context.RequestContext(actor="erin")):
        await code.apply(ref=URN, content=FILE + RULES, dry_run=False)
        held, exported = copy.deepcopy(quality.snapshot()), (await code.export(URN))[1]
        before = await counts(catalog_db)
        # Remove one rule, change one, add one, change the catalog's part: the third rule
        # write fails.
        edited = (
            FILE.replace("layer: silver", "layer: gold")
            + RULES.replace("severity: error\n      blocking: true", "severity: info\n").split(
                "    - capsule_level"
            )[0]
            + "    - column: note\n      rule: not_null\n"
        )
        quality.fail_at = quality.writes + 3
        with pytest.raises(Unavailable):
            await code.apply(ref=URN, content=edited, dry_run=False)
    assert quality.writes == quality.fail_at + 2  # two writes done, then undone
    assert quality.snapshot() == held  # the same rules again (the removed one re-created)
    assert await counts(catalog_db) == before  # the catalog's transaction rolled back
    assert (await code.export(URN))[1] == exported


async def test_without_the_quality_service_the_section_is_refused(
    shop: Catalog, semantics: Semantics
) -> None:
    message = await refused(semantics, FILE + RULES)
    assert "data_capsule.quality_rules: this catalog does not reach the quality service" in (
        message
    )
