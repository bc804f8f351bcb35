"""Conversions between database values and protobuf messages, shared by every service's API
mappers: well-known types, enums (stored as words), and whole messages built by field name."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from google.protobuf import json_format, message_factory, struct_pb2, timestamp_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from dckit.errors import InvalidArgument


def ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def from_struct(value: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as plain JSON values (numbers stay floats: callers validate integers)."""
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


# ---------------------------------------------------------------- enums

EnumType = Any  # an enum's descriptor or its generated wrapper (`pb.BreachStatus`)
# Protobuf descriptors (pure-Python or upb classes, which the stubs type apart).
Descriptor = Any
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _enum_descriptor(enum: EnumType) -> Descriptor:
    return getattr(enum, "DESCRIPTOR", enum)


def _enum_prefix(enum: Descriptor) -> str:
    return _CAMEL_BOUNDARY.sub("_", enum.name).upper() + "_"


def enum_text(enum: EnumType, number: int) -> str:
    """`BREACH_STATUS_OPEN` of enum `BreachStatus` → `open`: the words services store and
    REST shows (docs/proto-style.md)."""
    descriptor = _enum_descriptor(enum)
    value = descriptor.values_by_number.get(number)
    if value is None:  # an open enum carries numbers this version does not know
        raise ValueError(f"{number} is not a {descriptor.name}")
    return str(value.name).removeprefix(_enum_prefix(descriptor)).lower()


def enum_number(enum: EnumType, text: str) -> int:
    """`open` → `BREACH_STATUS_OPEN`'s number; ValueError for a word the enum does not have
    (callers turn it into the error their caller sees)."""
    descriptor = _enum_descriptor(enum)
    value = descriptor.values_by_name.get(_enum_prefix(descriptor) + text.upper())
    if value is None or value.number == 0 or not text:
        raise ValueError(f"{text!r} is not a {descriptor.name}")
    return int(value.number)


# ---------------------------------------------------------------- messages by field name

M = TypeVar("M", bound=Message)
_TIMESTAMP = "google.protobuf.Timestamp"
_STRUCT = "google.protobuf.Struct"
_LIST_VALUE = "google.protobuf.ListValue"


def to_message(
    cls: type[M],
    values: Mapping[str, Any],
    *,
    rename: Mapping[str, str] | None = None,
    ignore: Collection[str] = (),
    **extra: Any,
) -> M:
    """Message `cls` from a record (a mapping), field by field name; `extra` fields are given
    by the caller (already converted, or converted like the record's). `rename` maps a proto
    field to its record key. None leaves a field unset. By field type: Timestamp ← datetime,
    Struct ← dict, ListValue ← list, enum ← its word (`open`), string ← a date as ISO text,
    message ← a mapping (converted the same way) or a message, repeated ← a sequence of those.

    Every proto field must be in the record, in `extra` or in `ignore`: a field added to the
    contract fails the first call (every test) until a mapper says where it comes from, instead
    of going out empty."""
    rename = rename or {}
    given: dict[str, Any] = {}
    missing: list[str] = []
    for field in cls.DESCRIPTOR.fields:
        name = field.name
        if name in extra:
            value = extra[name]
        elif rename.get(name, name) in values:
            value = values[rename.get(name, name)]
        else:
            if name not in ignore:
                missing.append(name)
            continue
        if value is not None:
            given[name] = _field_value(field, value)
    if missing:
        raise TypeError(f"{cls.DESCRIPTOR.full_name}: no value for {sorted(missing)}")
    return cls(**given)


def _field_value(field: Descriptor, value: Any) -> Any:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        return dict(value)
    if field.is_repeated:
        return [_single_value(field, v) for v in value]
    return _single_value(field, value)


def _single_value(field: Descriptor, value: Any) -> Any:
    if isinstance(value, Message):
        return value
    kind = field.message_type.full_name if field.message_type is not None else ""
    if kind == _TIMESTAMP:
        return ts(value)
    if kind == _STRUCT:
        return struct(dict(value))
    if kind == _LIST_VALUE:
        out = struct_pb2.ListValue()
        out.extend(list(value))
        return out
    if kind:
        return to_message(message_factory.GetMessageClass(field.message_type), value)
    if field.enum_type is not None and isinstance(value, str):
        return enum_number(field.enum_type, value)
    if field.type == FieldDescriptor.TYPE_STRING and isinstance(value, date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- partial updates


def mask_changes(message: Message, mask: Any, allowed: Collection[str]) -> dict[str, Any]:
    """What an `Update<Thing>Request` changes (docs/proto-style.md): each path of the
    FieldMask `mask` (a field of `message` among `allowed`) with its value in `message` (a
    field in the mask but unset is cleared: its zero value). Structs come back as dicts, enums
    as their words. InvalidArgument for an empty mask or a path not in `allowed`."""
    paths = list(dict.fromkeys(mask.paths))
    if not paths:
        raise InvalidArgument("update_mask: name at least one field to change")
    unknown = [p for p in paths if p not in allowed]
    if unknown:
        raise InvalidArgument(
            f"update_mask: {', '.join(unknown)} cannot be changed; "
            f"changeable: {', '.join(sorted(allowed))}"
        )
    fields = message.DESCRIPTOR.fields_by_name
    out: dict[str, Any] = {}
    for path in paths:
        field, value = fields[path], getattr(message, path)
        out[path] = _checked_read(field, value)
    return out


# ---------------------------------------------------------------- requests → domain records

R = TypeVar("R")


def from_message(cls: type[R], message: Message, **extra: Any) -> R:
    """Dataclass `cls` (a use case's spec) from a request message, field by field name; `extra`
    fields are given by the caller. A field the message leaves unset where presence is tracked
    (`optional`, a message) keeps the dataclass default. Structs become dicts, enums their
    words, repeated fields lists. A dataclass field with neither a proto field, an `extra`
    value nor a default fails at once (a TypeError in every test), not with a silent zero."""
    proto = message.DESCRIPTOR.fields_by_name
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in extra:
            values[f.name] = extra[f.name]
            continue
        field = proto.get(f.name)
        has_default = f.default is not dataclasses.MISSING or (
            f.default_factory is not dataclasses.MISSING
        )
        if field is None:
            if not has_default:
                raise TypeError(f"{cls.__name__}.{f.name}: no field in {message.DESCRIPTOR.name}")
            continue
        if field.has_presence and not field.is_repeated and not message.HasField(f.name):
            if not has_default:
                values[f.name] = None
            continue
        values[f.name] = _checked_read(field, getattr(message, f.name))
    return cls(**values)


def _checked_read(field: Descriptor, value: Any) -> Any:
    try:
        return _read(field, value)
    except ValueError as exc:  # an enum number this version does not know
        raise InvalidArgument(f"{field.name}: {exc}") from exc


def _read(field: Descriptor, value: Any) -> Any:
    kind = field.message_type.full_name if field.message_type is not None else ""
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        return dict(value)
    if field.is_repeated:
        if field.enum_type is not None:
            return [enum_text(field.enum_type, v) for v in value]
        return list(value)
    if kind == _STRUCT:
        return from_struct(value)
    if kind:
        return value
    if field.enum_type is not None:
        return enum_text(field.enum_type, value) if value else ""
    return value
