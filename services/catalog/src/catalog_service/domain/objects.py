"""Catalog objects: their names (ref, URN, column URN), the object types, and what people may
write on them (description, tags).

ref: `source.schema.name`; URN: `urn:dcs:<source_type>:<object_type>:<source>.<schema>:<name>`;
column URN: `<object urn>.<column>`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from catalog_service.domain.semantics import DEFAULT_LAYERS, check_layer
from dcconnectors.scanned import OBJECT_TYPES
from dckit.errors import InvalidArgument, NotFound
from dckit.ids import as_id, is_digits

URN_PREFIX = "urn:dcs:"
MAX_TAGS = 50
EDITABLE = ("description", "tags", "layer")


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
    if is_digits(ref):
        object_id = as_id(ref)
        if object_id is None:
            raise NotFound(f"object id {ref} not found")
        return ObjectLookup(id=object_id)
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


def check_object_type(object_type: str) -> str:
    """An object type to filter by ("" = any)."""
    if object_type and object_type not in OBJECT_TYPES:
        raise InvalidArgument(
            f"unknown object type {object_type!r}; one of {', '.join(OBJECT_TYPES)}"
        )
    return object_type


def edits(
    fields: Collection[str],
    *,
    description: str,
    tags: Sequence[str],
    layer: str = "",
    layers: Sequence[str] = DEFAULT_LAYERS,
) -> dict[str, object]:
    """The user metadata an update writes: the `fields` named (description, tags, layer),
    cleaned; a layer must be one of `layers`."""
    if not fields or set(fields) - set(EDITABLE):
        raise InvalidArgument("updatable fields are 'description', 'tags' and 'layer'")
    values: dict[str, object] = {}
    if "layer" in fields:
        values["layer"] = check_layer(layer, layers)
    if "description" in fields:
        values["description"] = description.strip() or None
    if "tags" in fields:
        values["tags"] = clean_tags(tags)
    return values


def clean_tags(tags: Sequence[str]) -> list[str]:
    clean = sorted({t.strip().lower() for t in tags if t.strip()})
    if len(clean) > MAX_TAGS:
        raise InvalidArgument(f"at most {MAX_TAGS} tags per object")
    bad = [t for t in clean if len(t) > 64 or any(ch.isspace() for ch in t)]
    if bad:
        raise InvalidArgument(f"invalid tag(s) {bad}: up to 64 characters, no spaces")
    return clean
