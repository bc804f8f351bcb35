"""Check our own proto conventions (docs/proto-style.md) that `buf lint` does not know.

    python scripts/proto_style.py     # exit 1 and list every violation

Rules, over every message of the generated `datacompass.*.v1` packages:
1. A request names a catalog object with `datacompass.common.v1.ObjectRef`, never a string
   (`object`, `object_ref`, `object_urn`, `ref`).
2. A message that carries an object's display ref (`object_ref`) also carries its key
   (`object_urn`): the URN is the stable id everywhere.
3. Partial updates (`Update*Request`) take a `google.protobuf.FieldMask update_mask`, not
   `optional` fields, `set_*` flags or a `repeated string fields` list.
4. A status is an enum (`status`, `*_status`), not a string.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterator

from google.protobuf.descriptor import Descriptor, FieldDescriptor

import datacompass

OBJECT_REF = "datacompass.common.v1.ObjectRef"
FIELD_MASK = "google.protobuf.FieldMask"
OBJECT_STRING_NAMES = {"object", "object_ref", "object_urn", "ref"}


def messages() -> Iterator[Descriptor]:
    for module in pkgutil.walk_packages(datacompass.__path__, "datacompass."):
        if not module.name.endswith("_pb2"):
            continue
        loaded = importlib.import_module(module.name)
        for descriptor in loaded.DESCRIPTOR.message_types_by_name.values():
            yield from _with_nested(descriptor)


def _with_nested(descriptor: Descriptor) -> Iterator[Descriptor]:
    yield descriptor
    for nested in descriptor.nested_types:
        if not nested.GetOptions().map_entry:
            yield from _with_nested(nested)


def _is_string(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_STRING and not field.is_repeated


def violations(message: Descriptor) -> Iterator[str]:
    name = message.full_name
    fields = {f.name: f for f in message.fields}
    if name.endswith("Request"):
        for field in fields.values():
            if field.name in OBJECT_STRING_NAMES and _is_string(field):
                yield f"{name}.{field.name}: name the object with {OBJECT_REF}, not a string"
    if "object_ref" in fields and _is_string(fields["object_ref"]) and "object_urn" not in fields:
        yield f"{name}: carries object_ref without object_urn (the URN is the key)"
    if message.name.startswith("Update") and name.endswith("Request"):
        mask = fields.get("update_mask")
        if mask is None or mask.message_type is None or mask.message_type.full_name != FIELD_MASK:
            yield f"{name}: partial updates take `{FIELD_MASK} update_mask`"
        for field in fields.values():
            if (
                field.has_presence
                and field.containing_oneof is not None
                and (field.containing_oneof.name.startswith("_"))
            ):
                yield f"{name}.{field.name}: `optional` field in an update (use update_mask)"
            if field.name.startswith("set_") or field.name == "fields":
                yield f"{name}.{field.name}: use update_mask instead"
    for field in fields.values():
        if (field.name == "status" or field.name.endswith("_status")) and (
            field.type == FieldDescriptor.TYPE_STRING
        ):
            yield f"{name}.{field.name}: a status is an enum, not a string"


def main() -> int:
    found = [v for message in messages() for v in violations(message)]
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"{len(found)} proto style violation(s); see docs/proto-style.md", file=sys.stderr)
        return 1
    print("proto style: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
