from __future__ import annotations

import base64
import json

import pytest

from dckit import paging
from dckit.errors import InvalidArgument


def _raw_cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_clamp_limit_bounds() -> None:
    assert paging.clamp_limit(0) == paging.DEFAULT_LIMIT
    assert paging.clamp_limit(1) == 1
    assert paging.clamp_limit(paging.MAX_LIMIT) == paging.MAX_LIMIT
    assert paging.clamp_limit(paging.MAX_LIMIT + 1) == paging.MAX_LIMIT
    assert paging.clamp_limit(10**9) == paging.MAX_LIMIT
    with pytest.raises(InvalidArgument):
        paging.clamp_limit(-1)


@pytest.mark.parametrize("offset", [0, 1, 49, 500, 123_456_789])
def test_cursor_round_trip(offset: int) -> None:
    cursor = paging.encode_cursor(offset)
    assert "=" not in cursor  # url-safe, unpadded
    assert paging.decode_cursor(cursor) == offset


def test_empty_cursor_is_first_page() -> None:
    assert paging.decode_cursor("") == 0


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "%%%%",
        "abc",  # valid base64 alphabet, not JSON
        "é",
        _raw_cursor({"o": -1}),
        _raw_cursor({"o": 1.5}),
        _raw_cursor({"o": "10"}),
        _raw_cursor({"o": True}),  # bool is an int subclass; still not an offset
        _raw_cursor({"o": None}),
        _raw_cursor({"x": 1}),
        _raw_cursor([1, 2]),
        _raw_cursor("o"),
        _raw_cursor(7),
    ],
)
def test_bad_cursor_is_invalid_argument(cursor: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        paging.decode_cursor(cursor)
    assert info.value.code == "INVALID_ARGUMENT"


def test_next_cursor() -> None:
    assert paging.decode_cursor(paging.next_cursor(100, 50, 50, True)) == 150
    assert paging.next_cursor(100, 50, 20, False) == ""
    assert paging.next_cursor(100, 50, 0, True) == ""


def test_window_pages_with_one_extra_row() -> None:
    window = paging.Window.of(2, "")
    assert (window.limit, window.offset, window.fetch) == (2, 0, 3)
    items, cursor = window.page(["a", "b", "c"])  # three fetched: a next page exists
    assert items == ["a", "b"]
    assert paging.decode_cursor(cursor) == 2
    assert paging.Window.of(2, cursor).page(["c"]) == (["c"], "")


def test_window_rejects_bad_input() -> None:
    with pytest.raises(InvalidArgument):
        paging.Window.of(-1, "")
    with pytest.raises(InvalidArgument):
        paging.Window.of(10, "not-a-cursor")


async def test_paginate_walks_every_row_once() -> None:
    rows = list(range(7))
    calls: list[tuple[int, int]] = []

    async def fetch(offset: int, count: int) -> list[int]:
        calls.append((offset, count))
        return rows[offset : offset + count]

    seen: list[int] = []
    cursor = ""
    while True:
        items, cursor = await paging.paginate(3, cursor, fetch)
        seen += items
        if not cursor:
            break
    assert seen == rows
    assert calls == [(0, 4), (3, 4), (6, 4)]
