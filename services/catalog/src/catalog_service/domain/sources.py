"""Data sources: names, URNs, connection settings (each connector declares and checks its own,
behind the `Connectors` port) and what an audit record may show of a source."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dckit.errors import InvalidArgument

SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
EDITABLE = ("description", "connection")
# Audit records say that credentials changed, never what they are.
REDACTED, REDACTED_CHANGED = "<redacted>", "<redacted: changed>"


def validate_source_name(name: str) -> str:
    if not SOURCE_NAME.match(name or ""):
        raise InvalidArgument(
            f"invalid source name {name!r}: use 1-63 lower-case letters, digits, '_' or '-', "
            "starting with a letter"
        )
    return name


def source_urn(name: str) -> str:
    return f"urn:dcs:source:{name}"


def check_update_fields(fields: list[str]) -> None:
    if not fields:
        raise InvalidArgument("update_mask is empty: name the fields to change")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidArgument(f"cannot update field(s): {', '.join(sorted(unknown))}")


def merge_connection(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """An update keeps keys it does not mention, so secrets need not be re-sent."""
    merged = dict(old)
    merged.update(new)
    return merged


def public(source: Mapping[str, Any], connection: str | None = None) -> dict[str, Any]:
    """The auditable, non-secret view of a source (`connection`: a redaction marker)."""
    view = {
        "name": source["name"],
        "source_type": source["source_type"],
        "description": source["description"],
        "connection_keys": list(source["connection_keys"]),
    }
    if connection is not None:
        view["connection"] = connection
    return view
