"""Unit tests of the domain rules: refs, source names, connection validation, reconcile."""

from __future__ import annotations

import pytest

from catalog_service.domain.models import ExistingObject, ScannedColumn, ScannedObject, reconcile
from catalog_service.domain.refs import (
    ObjectLookup,
    column_urn,
    object_ref,
    object_urn,
    parse_ref,
    validate_source_name,
)
from catalog_service.domain.sources import merge_connection, validate_connection
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

GOOD = {"host": "db.example", "database": "app", "username": "reader", "password": "pw"}


def test_postgres_connection_defaults_port_and_accepts_json_numbers() -> None:
    assert validate_connection("postgres", GOOD)["port"] == 5432
    # protobuf Struct delivers numbers as floats
    clean = validate_connection("postgres", {**GOOD, "port": 6543.0, "sslmode": "require"})
    assert clean["port"] == 6543 and isinstance(clean["port"], int)
    assert clean["sslmode"] == "require"


def test_unknown_source_type() -> None:
    with pytest.raises(InvalidArgument, match="unknown source type 'oracle'"):
        validate_connection("oracle", GOOD)


@pytest.mark.parametrize("missing", ["host", "database", "username"])
def test_missing_required_setting(missing: str) -> None:
    conn = {k: v for k, v in GOOD.items() if k != missing}
    with pytest.raises(InvalidArgument, match=f"connection.{missing} is required"):
        validate_connection("postgres", conn)


@pytest.mark.parametrize("port", [0, 65536, -1, 5432.5, "5432", True])
def test_bad_port(port: object) -> None:
    with pytest.raises(InvalidArgument, match=r"connection\.port"):
        validate_connection("postgres", {**GOOD, "port": port})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"host": ""}, "connection.host must be a non-empty string"),
        ({"sslmode": "sometimes"}, "connection.sslmode must be one of"),
        ({"schemas": "public"}, "connection.schemas must be a list"),
        ({"bogus": 1}, "unknown connection setting"),
        ({"password": 5}, "connection.password"),
        ({"connect_timeout_seconds": 0}, "connect_timeout_seconds must be between"),
    ],
)
def test_bad_settings(extra: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        validate_connection("postgres", {**GOOD, **extra})


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
    assert obj("a").content_hash() == obj("a").content_hash()
    assert obj("a").content_hash() != obj("a", "bigint").content_hash()
    assert obj("a").content_hash() != obj("b").content_hash()


def test_reconcile_plan() -> None:
    existing = {
        ("public", "same"): ExistingObject(1, obj("same").content_hash(), deleted=False),
        ("public", "changed"): ExistingObject(2, obj("changed").content_hash(), deleted=False),
        ("public", "gone"): ExistingObject(3, obj("gone").content_hash(), deleted=False),
        ("public", "revived"): ExistingObject(4, obj("revived").content_hash(), deleted=True),
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
