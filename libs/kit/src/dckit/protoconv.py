"""Conversions between records (database rows, domain dataclasses) and protobuf messages,
shared by every service's API mappers and the gateway (docs/proto-style.md):

- well-known types: `ts`, `struct`, `from_struct`, `whole_numbers`;
- enums ↔ text: `enum_text`, `enum_number`, `enum_texts` (`running` for
  `SCAN_STATUS_RUNNING` of `ScanStatus`; "" for the unspecified zero);
- object references: `object_ref` (text → `ObjectRef`), `ref_text` (the reverse);
- record → message: `to_message`;
- message → values: `message_values` (a dict), `from_message` (a dataclass);
- FieldMask partial updates: `mask_paths`, `mask_changes`.

Fields are matched by name; one writer and one reader decide each field kind's conversion."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, TypeVar

from google.protobuf import field_mask_pb2, json_format, message_factory, struct_pb2, timestamp_pb2
from google.protobuf.descriptor import FieldDescriptor as _FieldDescriptor
from google.protobuf.message import Message

from datacompass.common.v1 import refs_pb2
from dckit.errors import InvalidArgument

M = TypeVar("M", bound=Message)
T = TypeVar("T")
# Protobuf descriptors (pure-Python or upb classes, which the stubs type apart).
EnumDescriptor = Any
FieldDescriptor = Any

_TIMESTAMP = "google.protobuf.Timestamp"
_STRUCT = "google.protobuf.Struct"
_LIST_VALUE = "google.protobuf.ListValue"
_MISSING = object()


# ---------------------------------------------------------------- well-known types


def ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(dict(value))
    return out


def from_struct(value: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as plain JSON values (numbers stay floats: see `whole_numbers`)."""
    return json_format.MessageToDict(value)


def whole_numbers(value: Any) -> Any:
    """Struct numbers are doubles: whole numbers as integers again, at any depth."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


# ---------------------------------------------------------------- enums ↔ text

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _enum_descriptor(enum: Any) -> EnumDescriptor:
    """An enum's descriptor, given it or its generated wrapper (`pb.ScanStatus`)."""
    return getattr(enum, "DESCRIPTOR", enum)


def _enum_prefix(enum: EnumDescriptor) -> str:
    """`ScanStatus` → `SCAN_STATUS_` (the prefix our enum values carry)."""
    return _CAMEL_BOUNDARY.sub("_", enum.name).upper() + "_"


def enum_texts(enum: Any) -> list[str]:
    """Every text of `enum` but the unspecified zero's, in declaration order."""
    descriptor = _enum_descriptor(enum)
    return [enum_text(descriptor, v.number) for v in descriptor.values if v.number != 0]


def enum_text(enum: Any, number: int) -> str:
    """`SCAN_STATUS_RUNNING` of enum `ScanStatus` → `running`; 0 (unspecified) → "".
    InvalidArgument for a number the enum does not know (a newer peer's: proto3 enums are
    open)."""
    if number == 0:
        return ""
    descriptor = _enum_descriptor(enum)
    value = descriptor.values_by_number.get(number)
    if value is None:
        raise InvalidArgument(f"{descriptor.name}: unknown value {number}")
    return str(value.name).removeprefix(_enum_prefix(descriptor)).lower()


def enum_number(enum: Any, text: str, field: str = "") -> int:
    """`running` → the number of `SCAN_STATUS_RUNNING`; "" → 0 (unspecified). InvalidArgument
    naming `field` (default: the enum) and the allowed texts for anything else."""
    if not text:
        return 0
    descriptor = _enum_descriptor(enum)
    value = descriptor.values_by_name.get(_enum_prefix(descriptor) + text.upper())
    if value is None or value.number == 0 or text != text.lower():
        allowed = ", ".join(enum_texts(descriptor))
        raise InvalidArgument(f"{field or descriptor.name}: must be one of {allowed}")
    return int(value.number)


# ---------------------------------------------------------------- object references

URN_PREFIX = "urn:"


def object_ref(text: str) -> refs_pb2.ObjectRef:
    """A catalog object named as text (a URN, `source.schema.name`, or a numeric id) as the one
    message requests name objects with."""
    text = text.strip()
    if text.startswith(URN_PREFIX):
        return refs_pb2.ObjectRef(urn=text)
    if text.isascii() and text.isdigit():
        return refs_pb2.ObjectRef(id=int(text))
    return refs_pb2.ObjectRef(qualified_name=text)


def ref_text(ref: refs_pb2.ObjectRef) -> str:
    """The inverse of `object_ref`: whichever form was set, as text ("" when none is)."""
    form = ref.WhichOneof("ref")
    return "" if form is None else str(getattr(ref, form))


# ---------------------------------------------------------------- record → message


def to_message(
    cls: type[M],
    record: Any = None,
    /,
    *,
    rename: Mapping[str, str] | None = None,
    ignore: Collection[str] = (),
    complete: bool = False,
    **values: Any,
) -> M:
    """Message `cls` filled field by field from the same-named keys (a mapping) or attributes
    (a dataclass, any object) of `record`, `values` adding to or overriding them; `rename` maps
    a proto field to the record name it reads. None, and names neither has, leave a field unset.

    By field kind: Timestamp ← datetime; Struct ← mapping; ListValue ← list; enum ← its text
    (`running`), a str Enum or a number; string ← a date (or datetime) as ISO text; map ←
    mapping; another message ← a message, or a mapping/dataclass built the same way; repeated ←
    an iterable of those.

    `complete`: every proto field must come from `record`, `values` or `ignore` (TypeError
    otherwise), so a field added to the contract fails every test until a mapper says where it
    comes from, instead of going out empty; nested records are held to the same rule."""
    rename = rename or {}
    out = cls()
    missing: list[str] = []
    for field in cls.DESCRIPTOR.fields:
        value = values.get(field.name, _MISSING)
        if value is _MISSING:
            value = _get(record, rename.get(field.name, field.name))
        if value is _MISSING:
            if complete and field.name not in ignore:
                missing.append(field.name)
        elif value is not None:
            _put(out, field, value, complete)
    if missing:
        raise TypeError(f"{cls.DESCRIPTOR.full_name}: no value for {sorted(missing)}")
    return out


def _get(record: Any, name: str) -> Any:
    if record is None:
        return _MISSING
    if isinstance(record, Mapping):
        return record.get(name, _MISSING)
    return getattr(record, name, _MISSING)


def _kind(field: FieldDescriptor) -> str:
    return field.message_type.full_name if field.message_type is not None else ""


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and bool(field.message_type.GetOptions().map_entry)


def _put(out: Message, field: FieldDescriptor, value: Any, complete: bool) -> None:
    name = field.name
    if _is_map(field):
        getattr(out, name).update(value)
    elif field.is_repeated:
        getattr(out, name).extend(_field_value(field, v, complete) for v in value)
    elif field.message_type is not None:
        getattr(out, name).CopyFrom(_field_value(field, value, complete))
    else:
        setattr(out, name, _field_value(field, value, complete))


def _field_value(field: FieldDescriptor, value: Any, complete: bool) -> Any:
    if isinstance(value, Message):
        return value
    kind = _kind(field)
    if kind == _TIMESTAMP:
        return ts(value)
    if kind == _STRUCT:
        return struct(value)
    if kind == _LIST_VALUE:
        out = struct_pb2.ListValue()
        out.extend(list(value))
        return out
    if kind:
        sub = message_factory.GetMessageClass(field.message_type)
        return to_message(sub, value, complete=complete)
    if field.enum_type is not None and not isinstance(value, int):
        text = value.value if isinstance(value, Enum) else value
        return enum_number(field.enum_type, text, field.name)
    if isinstance(value, date) and field.type == _FieldDescriptor.TYPE_STRING:
        return value.isoformat()  # a datetime is a date too: ISO text either way
    return value


# ---------------------------------------------------------------- message → values


def message_values(
    msg: Message,
    names: Iterable[str] | None = None,
    /,
    *,
    exclude: Collection[str] = (),
    only_set: bool = False,
) -> dict[str, Any]:
    """The fields of `msg` (those in `names`, default all but `exclude`) as plain values by name
    (the reverse of `to_message`): enum → text ("" for unspecified), Timestamp → datetime,
    Struct/ListValue → JSON (whole numbers as ints), map → dict, repeated → list; another
    message stays a message; an unset message field → None. `only_set` leaves out `optional`
    scalars the message does not set, so the domain's defaults apply."""
    by_name = msg.DESCRIPTOR.fields_by_name
    chosen: list[FieldDescriptor] = (
        [by_name[n] for n in names] if names is not None else list(msg.DESCRIPTOR.fields)
    )
    return {
        f.name: _read(msg, f)
        for f in chosen
        if f.name not in exclude and not (only_set and _unset_optional_scalar(msg, f))
    }


def from_message(cls: type[T], msg: Message, /, **values: Any) -> T:
    """Dataclass `cls` (a use case's spec, a filter) from the same-named fields of `msg`, read
    like `message_values` but repeated fields as tuples; `values` add to or override them. A
    field with presence that `msg` leaves unset (`optional`, a message) keeps the dataclass
    default (None without one). A dataclass field with neither a proto field, a given value nor
    a default fails at once (TypeError), not with a silent zero."""
    by_name = msg.DESCRIPTOR.fields_by_name
    kwargs: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not spec.init:
            continue
        if spec.name in values:
            kwargs[spec.name] = values[spec.name]
            continue
        has_default = (
            spec.default is not dataclasses.MISSING
            or spec.default_factory is not dataclasses.MISSING
        )
        field = by_name.get(spec.name)
        if field is None:
            if not has_default:
                raise TypeError(f"{cls.__name__}.{spec.name}: no field in {msg.DESCRIPTOR.name}")
            continue
        if field.has_presence and not field.is_repeated and not msg.HasField(field.name):
            if not has_default:
                kwargs[spec.name] = None
            continue
        value = _read(msg, field)
        kwargs[spec.name] = tuple(value) if isinstance(value, list) and field.is_repeated else value
    return cls(**kwargs)


def _unset_optional_scalar(msg: Message, field: FieldDescriptor) -> bool:
    scalar = field.message_type is None and not field.is_repeated
    return bool(scalar and field.has_presence and not msg.HasField(field.name))


def _read(msg: Message, field: FieldDescriptor) -> Any:
    value = getattr(msg, field.name)
    kind = _kind(field)
    if _is_map(field):
        return dict(value)
    if field.is_repeated:
        if field.enum_type is not None:
            return [enum_text(field.enum_type, v) for v in value]
        return list(value)
    if field.enum_type is not None:
        return enum_text(field.enum_type, value)
    if kind in (_STRUCT, _LIST_VALUE):
        return whole_numbers(json_format.MessageToDict(value))
    if kind and not msg.HasField(field.name):
        return None
    if kind == _TIMESTAMP:
        return value.ToDatetime(tzinfo=UTC)
    return value


# ---------------------------------------------------------------- FieldMask partial updates


def mask_paths(mask: field_mask_pb2.FieldMask, allowed: Iterable[str]) -> tuple[str, ...]:
    """The fields an `update_mask` names, once each (docs/proto-style.md). InvalidArgument for
    an empty mask ("change nothing" is a mistake) or a path not in `allowed`."""
    names = tuple(allowed)
    paths = tuple(dict.fromkeys(mask.paths))
    if not paths:
        raise InvalidArgument(f"update_mask: name the fields to change (any of {', '.join(names)})")
    unknown = [p for p in paths if p not in names]
    if unknown:
        raise InvalidArgument(
            f"update_mask: cannot change {', '.join(unknown)} (only {', '.join(names)})"
        )
    return paths


def mask_changes(
    msg: Message, mask: field_mask_pb2.FieldMask, allowed: Iterable[str]
) -> dict[str, Any]:
    """What an `Update<Thing>Request` changes: each field of `msg` the mask names (see
    `mask_paths`) with its value read like `message_values` (a field in the mask but unset in
    `msg` is cleared: its zero value)."""
    return message_values(msg, mask_paths(mask, allowed))
