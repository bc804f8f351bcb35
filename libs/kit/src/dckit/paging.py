"""Opaque list cursors. Clients must treat cursors as opaque strings; today they encode an
offset, which lets ranked search results page consistently with plain lists."""

from __future__ import annotations

import base64
import binascii
import json

from dckit.errors import InvalidArgument

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
