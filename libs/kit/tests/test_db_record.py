"""Rows become domain records by column name."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import BigInteger, Column, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from dckit.db import record, row_values


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    tags: tuple[str, ...] = ()
    column: str = ""


def test_record_takes_the_fields_it_has_and_freezes_lists() -> None:
    row = {"id": 3, "name": "ssn", "tags": ["pii"], "column_name": "ssn", "key_hash": "x"}
    got = record(Rule, row, column=row["column_name"])
    assert got == Rule(3, "ssn", ("pii",), "ssn")
    assert record(Rule, {"id": 1, "name": "n"}) == Rule(1, "n")  # defaults fill the rest


def test_record_without_a_required_column_fails_loudly() -> None:
    with pytest.raises(TypeError):
        record(Rule, {"id": 1})


RULES = Table(
    "rules",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("name", Text),
    Column("tags", JSONB),
    Column("column_name", Text),
    Column("created_by", Text),
    Column("level", Text),
)


@dataclass(frozen=True)
class Who:
    created_by: str
    name: str = "not this one: the rule's name comes first"


def test_row_values_by_column_name_from_records_and_values() -> None:
    rule = Rule(0, "ssn", ("pii",), "ssn")
    got = row_values(RULES, rule, Who("alice"), skip={"id"}, column_name=rule.column)
    # No source has `level`: left out (the database default applies).
    assert got == {"name": "ssn", "tags": ["pii"], "column_name": "ssn", "created_by": "alice"}
