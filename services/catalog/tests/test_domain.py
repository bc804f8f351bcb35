"""Unit tests of the domain rules: refs, source names, connection validation (through the
connectors adapter), reconcile."""

from __future__ import annotations

import pytest

from catalog_service.adapters.connectors import RegistryConnectors
from catalog_service.domain.objects import (
    ObjectLookup,
    column_urn,
    object_ref,
    object_urn,
    parse_ref,
)
from catalog_service.domain.scans import (
    ExistingObject,
    ScannedColumn,
    ScannedObject,
    content_hash,
    reconcile,
)
from catalog_service.domain.sources import merge_connection, validate_source_name
from dckit.errors import InvalidArgument

# ------------------------------------------------------------------ refs


def test_ref_source_schema_name() -> None:
    assert parse_ref("warehouse.sales.orders") == ObjectLookup(
        source="warehouse", schema="sales", name="orders"
    )


def test_ref_name_may_contain_dots() -> None:
    assert parse_ref("  wh.public.odd.name ") == ObjectLookup(
        source="wh", schema="public", name="odd.name"
    )


def test_ref_urn() -> None:
    urn = "urn:dcs:postgres:table:src.schema:name"
    assert parse_ref(urn) == ObjectLookup(urn=urn)
    assert object_urn("postgres", "table", "src", "schema", "name") == urn
    assert column_urn(urn, "id") == urn + ".id"
    assert object_ref("src", "schema", "name") == "src.schema.name"


def test_ref_numeric_id() -> None:
    assert parse_ref("42") == ObjectLookup(id=42)
    assert parse_ref("42").describe() == "id 42"


@pytest.mark.parametrize(
    "ref",
    ["", "   ", "orders", "sales.orders", "a..b", ".a.b", "a.b.", "urn:dcs:postgres:table"],
)
def test_malformed_refs_are_invalid_argument(ref: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_ref(ref)


# ------------------------------------------------------------------ source names


@pytest.mark.parametrize("name", ["a", "warehouse", "dwh-prod_2", "x" * 63])
def test_valid_source_names(name: str) -> None:
    assert validate_source_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "Warehouse", "1abc", "-abc", "has space", "dot.ted", "x" * 64, "é"]
)
def test_invalid_source_names(name: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid source name"):
        validate_source_name(name)


# ------------------------------------------------------------------ connections

# Each connector's own settings are tested in libs/connectors/tests/test_config.py.
GOOD = {"host": "db.example", "database": "app", "username": "reader", "password": "pw"}
validate_connection = RegistryConnectors().validate


def test_connection_is_checked_by_the_source_types_connector() -> None:
    assert validate_connection("postgres", GOOD)["port"] == 5432
    with pytest.raises(InvalidArgument, match=r"connection\.server_hostname is required"):
        validate_connection("databricks", {})


def test_unknown_source_type() -> None:
    with pytest.raises(InvalidArgument, match="unknown source type 'oracle'; supported: "):
        validate_connection("oracle", GOOD)


def test_merge_keeps_unmentioned_keys() -> None:
    merged = merge_connection(GOOD, {"host": "other", "port": 1})
    assert merged == {**GOOD, "host": "other", "port": 1}


# ------------------------------------------------------------------ reconcile


def obj(name: str, data_type: str = "integer", schema: str = "public") -> ScannedObject:
    return ScannedObject(
        schema=schema,
        name=name,
        object_type="table",
        columns=(ScannedColumn(name="id", ordinal=1, data_type=data_type, nullable=False),),
    )


def test_content_hash_is_stable_and_sensitive() -> None:
    assert content_hash(obj("a")) == content_hash(obj("a"))
    assert content_hash(obj("a")) != content_hash(obj("a", "bigint"))
    assert content_hash(obj("a")) != content_hash(obj("b"))


def test_reconcile_plan() -> None:
    existing = {
        ("public", "same"): ExistingObject(1, content_hash(obj("same")), deleted=False),
        ("public", "changed"): ExistingObject(2, content_hash(obj("changed")), deleted=False),
        ("public", "gone"): ExistingObject(3, content_hash(obj("gone")), deleted=False),
        ("public", "revived"): ExistingObject(4, content_hash(obj("revived")), deleted=True),
        ("public", "long_gone"): ExistingObject(5, "x", deleted=True),
    }
    scanned = [obj("same"), obj("changed", "text"), obj("revived"), obj("new")]
    plan = reconcile(existing, scanned)
    assert [o.name for o in plan.create] == ["new"]
    assert sorted((i, o.name) for i, o in plan.change) == [(2, "changed"), (4, "revived")]
    assert plan.unchanged_ids == [1]
    # Already-deleted objects are not deleted again.
    assert plan.vanished_ids == [3]


def test_reconcile_empty() -> None:
    plan = reconcile({}, [])
    assert (plan.create, plan.change, plan.unchanged_ids, plan.vanished_ids) == ([], [], [], [])


def test_only_ascii_digits_within_int64_are_an_id() -> None:
    """Schemathesis finding (issue 20): '³'.isdigit() is true but int('³') raises (a 500);
    digits beyond int64 fit no bigint."""
    from dckit.errors import NotFound

    assert parse_ref("42") == ObjectLookup(id=42)
    for odd in ("³", "٣", "1²"):
        with pytest.raises(InvalidArgument):
            parse_ref(odd)
    with pytest.raises(NotFound):
        parse_ref(str(2**64))
