"""Opaque list cursors. Clients must treat cursors as opaque strings; today they encode an
offset, which lets ranked search results page consistently with plain lists."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from dckit.errors import InvalidArgument

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def clamp_limit(limit: int) -> int:
    if limit < 0:
        raise InvalidArgument("limit must not be negative")
    return min(limit or DEFAULT_LIMIT, MAX_LIMIT)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded.encode()))["o"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument(
            "cursor is not valid (pass next_cursor from a previous page)"
        ) from exc
    # bool is an int subclass: {"o": true} is not an offset.
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidArgument("cursor is not valid (pass next_cursor from a previous page)")
    return offset


def next_cursor(offset: int, limit: int, returned: int, has_more: bool) -> str:
    return encode_cursor(offset + returned) if has_more and returned else ""


@dataclass(frozen=True)
class Window:
    """One page of a list: the clamped `limit` and the `offset` the cursor encodes.

    Fetch `fetch` rows (one more than the page) so `page()` can tell whether another page
    follows without a second count query."""

    limit: int
    offset: int

    @classmethod
    def of(cls, limit: int, cursor: str) -> Window:
        return cls(clamp_limit(limit), decode_cursor(cursor))

    @property
    def fetch(self) -> int:
        return self.limit + 1

    def page(self, rows: Sequence[T]) -> tuple[list[T], str]:
        """The page's items and the cursor of the next page ("" on the last one)."""
        items = list(rows[: self.limit])
        return items, next_cursor(self.offset, self.limit, len(items), len(rows) > self.limit)


async def paginate(
    limit: int, cursor: str, fetch: Callable[[int, int], Awaitable[Sequence[T]]]
) -> tuple[list[T], str]:
    """Page through a list: `fetch(offset, count)` returns up to `count` rows from `offset`."""
    window = Window.of(limit, cursor)
    return window.page(await fetch(window.offset, window.fetch))
