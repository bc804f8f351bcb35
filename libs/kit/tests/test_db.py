"""Repositories hand out domain records built from rows by column name."""

from __future__ import annotations

from dataclasses import dataclass

from dckit.db import record


@dataclass(frozen=True)
class Thing:
    id: int
    name: str


def test_record_takes_the_same_named_columns_and_given_values() -> None:
    row = {"id": 1, "name": "a", "secret": b"sealed"}
    assert record(Thing, row) == Thing(1, "a")
    assert record(Thing, row, name="b") == Thing(1, "b")
