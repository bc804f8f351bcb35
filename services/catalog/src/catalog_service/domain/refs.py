"""Names, refs and URNs of catalog objects.

ref: `source.schema.name`; URN: `urn:dcs:<source_type>:<object_type>:<source>.<schema>:<name>`;
column URN: `<object urn>.<column>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dckit.errors import InvalidArgument

SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
URN_PREFIX = "urn:dcs:"


def validate_source_name(name: str) -> str:
    if not SOURCE_NAME.match(name or ""):
        raise InvalidArgument(
            f"invalid source name {name!r}: use 1-63 lower-case letters, digits, '_' or '-', "
            "starting with a letter"
        )
    return name


def object_ref(source: str, schema: str, name: str) -> str:
    return f"{source}.{schema}.{name}"


def object_urn(source_type: str, object_type: str, source: str, schema: str, name: str) -> str:
    return f"{URN_PREFIX}{source_type}:{object_type}:{source}.{schema}:{name}"


def column_urn(object_urn_: str, column: str) -> str:
    return f"{object_urn_}.{column}"


@dataclass(frozen=True)
class ObjectLookup:
    """One way of naming an object: exactly one field is set."""

    id: int | None = None
    urn: str | None = None
    source: str | None = None
    schema: str | None = None
    name: str | None = None

    def describe(self) -> str:
        if self.id is not None:
            return f"id {self.id}"
        if self.urn is not None:
            return self.urn
        return object_ref(self.source or "", self.schema or "", self.name or "")


def parse_ref(ref: str) -> ObjectLookup:
    """Accept a numeric id, a URN, or `source.schema.name` (the name may contain dots)."""
    ref = (ref or "").strip()
    if not ref:
        raise InvalidArgument("object ref is empty")
    if ref.isdigit():
        return ObjectLookup(id=int(ref))
    if ref.startswith(URN_PREFIX):
        if ref.count(":") < 5:
            raise InvalidArgument(f"malformed URN {ref!r}")
        return ObjectLookup(urn=ref)
    parts = ref.split(".", 2)
    if len(parts) != 3 or not all(parts):
        raise InvalidArgument(
            f"invalid object ref {ref!r}: expected 'source.schema.name', a URN or an id"
        )
    return ObjectLookup(source=parts[0], schema=parts[1], name=parts[2])
