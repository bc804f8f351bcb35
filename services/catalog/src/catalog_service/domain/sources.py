"""Source types and their connection settings (each connector declares and checks its own:
dcconnectors)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcconnectors import registry


def validate_connection(source_type: str, connection: Mapping[str, Any]) -> dict[str, Any]:
    """The clean settings of a `source_type` source; InvalidArgument naming the unknown type
    or the bad setting."""
    return registry.get(source_type).validate(connection)


def merge_connection(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """An update keeps keys it does not mention, so secrets need not be re-sent."""
    merged = dict(old)
    merged.update(new)
    return merged
