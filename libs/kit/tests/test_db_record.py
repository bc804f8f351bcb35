"""Rows become domain records by column name."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dckit.db import record


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
