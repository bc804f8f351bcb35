"""Numeric ids given as text (paths, refs): only ASCII digits count, and only within int64.

`str.isdigit()` alone also accepts '³' or '²', which `int()` refuses (a 500 schemathesis
found), and digits beyond int64 fit neither PostgreSQL's bigint nor protobuf's int64."""

from __future__ import annotations

INT64_MAX = 2**63 - 1


def is_digits(text: str) -> bool:
    """All ASCII digits (and at least one)."""
    return text.isascii() and text.isdigit()


def as_id(text: str) -> int | None:
    """`text` as an id when it is ASCII digits within int64, else None (no such id)."""
    if not is_digits(text):
        return None
    value = int(text)
    return value if value <= INT64_MAX else None
