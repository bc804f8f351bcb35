"""Pure domain rules of an object's structure: hashing, schema diffs and their classification,
view SQL lineage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalog_service.domain.scans import (
    ExistingObject,
    ScannedColumn,
    ScannedConstraint,
    ScannedObject,
    Statistics,
    content_hash,
    reconcile,
)
from catalog_service.domain.structure import schema_hash, schema_snapshot
from catalog_service.domain.versions import diff_snapshots, is_widening, next_version
from catalog_service.domain.view_lineage import parse_view


def table(
    *cols: tuple[str, str, bool],
    keys: tuple[str, ...] = ("id",),
    constraints_extra: tuple[ScannedConstraint, ...] = (),
    **kw: object,
) -> ScannedObject:
    return ScannedObject(
        schema="s",
        name="t",
        object_type="table",
        columns=tuple(
            ScannedColumn(n, i, t, nullable) for i, (n, t, nullable) in enumerate(cols, 1)
        ),
        constraints=((ScannedConstraint("primary_key", "t_pkey", keys),) if keys else ())
        + constraints_extra,
        **kw,  # type: ignore[arg-type]
    )


BASE = (("id", "integer", False), ("name", "varchar(50)", True))


def test_statistics_change_neither_hash_but_are_restated() -> None:
    before = table(*BASE, stats=Statistics(8192, None, None))
    after = table(*BASE, stats=Statistics(65536, 1000, datetime(2026, 1, 1, tzinfo=UTC)))
    assert content_hash(before) == content_hash(after)
    assert schema_hash(before) == schema_hash(after)
    existing = {("s", "t"): ExistingObject(7, content_hash(before), False, before.stats)}
    plan = reconcile(existing, [after])
    assert plan.change == [] and plan.unchanged_ids == [7]
    assert plan.restat == [(7, after.stats)]
    assert reconcile(existing, [before]).restat == []


def test_comment_changes_content_but_not_schema_hash() -> None:
    plain, commented = table(*BASE), table(*BASE, comment="hello")
    assert content_hash(plain) != content_hash(commented)
    assert schema_hash(plain) == schema_hash(commented)


@pytest.mark.parametrize(
    ("old", "new", "widening"),
    [
        ("integer", "bigint", True),
        ("bigint", "integer", False),
        ("varchar(50)", "varchar(100)", True),
        ("character varying(100)", "character varying(50)", False),
        ("character varying(100)", "text", True),
        ("text", "character varying(10)", False),
        ("numeric(10,2)", "numeric(12,2)", True),
        ("numeric(12,2)", "numeric(12,4)", False),
        ("integer", "numeric", True),
        ("integer", "text", False),
        ("integer[]", "bigint", False),
        ("timestamp(3) with time zone", "timestamp(6) with time zone", True),
    ],
)
def test_type_widening(old: str, new: str, widening: bool) -> None:
    assert is_widening(old, new) is widening


def test_diff_classifies_changes_and_bumps() -> None:
    old = schema_snapshot(table(*BASE))
    dropped = diff_snapshots(old, schema_snapshot(table(("id", "integer", False))))
    assert dropped.breaking and dropped.bump == "major"
    assert [(c.kind, c.target) for c in dropped.changes] == [("column_removed", "name")]

    added = diff_snapshots(old, schema_snapshot(table(*BASE, ("note", "text", True))))
    assert not added.breaking and added.bump == "minor"
    required = diff_snapshots(old, schema_snapshot(table(*BASE, ("note", "text", False))))
    assert required.breaking  # NOT NULL without default breaks writers

    widened = diff_snapshots(
        old, schema_snapshot(table(("id", "bigint", False), ("name", "text", True)))
    )
    assert not widened.breaking and {c.kind for c in widened.changes} == {"type_changed"}
    narrowed = diff_snapshots(
        old, schema_snapshot(table(("id", "smallint", False), ("name", "varchar(50)", True)))
    )
    assert narrowed.breaking
    not_null = diff_snapshots(
        old, schema_snapshot(table(("id", "integer", False), ("name", "varchar(50)", False)))
    )
    assert not_null.breaking and not_null.changes[0].kind == "nullability_changed"
    no_key = diff_snapshots(old, schema_snapshot(table(*BASE, keys=())))
    assert no_key.breaking and no_key.changes[0].kind == "constraint_removed"
    assert diff_snapshots(old, old).bump == "patch" and not diff_snapshots(old, old).changes


def test_dropped_foreign_key_is_breaking() -> None:
    fk = ScannedConstraint(
        "foreign_key",
        "t_customer_fk",
        ("name",),
        referenced_schema="s",
        referenced_table="customers",
        referenced_columns=("name",),
    )
    with_fk = schema_snapshot(table(*BASE, constraints_extra=(fk,)))
    without_fk = schema_snapshot(table(*BASE))
    dropped = diff_snapshots(with_fk, without_fk)
    assert [(c.kind, c.target, c.detail, c.breaking) for c in dropped.changes] == [
        ("constraint_removed", "t_customer_fk", "foreign_key", True)
    ]
    assert dropped.breaking and dropped.bump == "major"
    # Adding one is not breaking; a check constraint dropped is not either.
    added = diff_snapshots(without_fk, with_fk)
    assert not added.breaking and added.bump == "minor"
    check = ScannedConstraint("check", "t_name_check", ("name",), check_expression="name <> ''")
    no_check = diff_snapshots(schema_snapshot(table(*BASE, constraints_extra=(check,))), without_fk)
    assert no_check.changes and not no_check.breaking


def test_next_version() -> None:
    assert next_version(None, "major") == "1.0.0"
    assert next_version("1.2.3", "major") == "2.0.0"
    assert next_version("1.2.3", "minor") == "1.3.0"
    assert next_version("1.2.3", "patch") == "1.2.4"


def test_view_lineage_columns_and_failures() -> None:
    known = {("public", "orders"): ["id", "amount"], ("sales", "customers"): ["id", "email"]}
    ok = parse_view(
        "SELECT o.id, c.email, o.amount * 2 AS double FROM orders o "
        "JOIN sales.customers c ON c.id = o.id",
        known,
    )
    assert ok.confidence == 1.0 and ok.error is None
    assert ok.tables == [("public", "orders"), ("sales", "customers")]
    assert {(c.upstream, c.upstream_column, c.downstream_column) for c in ok.columns} == {
        (("public", "orders"), "id", "id"),
        (("sales", "customers"), "email", "email"),
        (("public", "orders"), "amount", "double"),
    }
    star = parse_view("SELECT * FROM orders", known)
    assert {c.downstream_column for c in star.columns} == {"id", "amount"}
    cte = parse_view("WITH x AS (SELECT id FROM orders) SELECT id FROM x", known)
    assert cte.tables == [("public", "orders")]
    broken = parse_view("SELEC oops FROM", known)
    assert broken.confidence == 0.0 and broken.error
