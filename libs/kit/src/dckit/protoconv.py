"""Conversions between database values and protobuf messages, shared by every service's API
mappers: well-known types (timestamps, Structs), enums by name, and whole messages built from
records by field name (`message`) or read back into plain values (`fields`)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from google.protobuf import descriptor, json_format, message_factory, struct_pb2, timestamp_pb2
from google.protobuf.message import Message

M = TypeVar("M", bound=Message)
# Protobuf descriptors (pure-Python or upb classes, which the stubs type apart).
EnumDescriptor = Any
FieldDescriptor = Any
_TIMESTAMP = "google.protobuf.Timestamp"
_STRUCT = "google.protobuf.Struct"
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


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


# -- by-name builders (records ↔ messages) ------------------------------------------------


def enum_prefix(enum: EnumDescriptor) -> str:
    """`ScanStatus` → `SCAN_STATUS_` (the prefix our enum values carry: docs/proto-style.md)."""
    return _CAMEL_BOUNDARY.sub("_", enum.name).upper() + "_"


def enum_name(enum: EnumDescriptor, number: int) -> str:
    """`SCAN_STATUS_RUNNING` of enum `ScanStatus` → `running`; a number the enum does not know
    (a newer peer's) as its digits, for the caller's validation to refuse."""
    value = enum.values_by_number.get(number)
    if value is None:
        return str(number)
    return str(value.name).removeprefix(enum_prefix(enum)).lower()


def enum_value(enum: EnumDescriptor, name: str) -> int:
    """`running` → the number of `SCAN_STATUS_RUNNING` in enum `ScanStatus`; "" → 0
    (unspecified); ValueError for a name the enum does not have."""
    if not name:
        return 0
    value = enum.values_by_name.get(enum_prefix(enum) + name.upper())
    if value is None:
        raise ValueError(f"{enum.full_name} has no value {name!r}")
    return int(value.number)


def message(cls: type[M], values: Mapping[str, Any], /, **overrides: Any) -> M:
    """Protobuf `cls` filled by field name from `values` (a record, a row as a dict) and
    `overrides`; keys that are not fields of `cls` are ignored, None leaves a field unset.

    By field kind: Timestamp ← datetime; Struct ← dict; enum ← its lower-case name without
    the enum's prefix (`running`); another message ← a mapping (built the same way) or a
    message; string ← a date as ISO text; repeated fields ← any iterable of the above."""
    given = {**values, **overrides}
    out = cls()
    for field in cls.DESCRIPTOR.fields:
        value = given.get(field.name)
        if value is None:
            continue
        if field.is_repeated:
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                getattr(out, field.name).update(value)
                continue
            items = [_value(field, item) for item in value]
            if field.message_type is not None:
                getattr(out, field.name).extend(items)
            else:
                getattr(out, field.name)[:] = items
        elif field.message_type is not None:
            getattr(out, field.name).CopyFrom(_value(field, value))
        else:
            setattr(out, field.name, _value(field, value))
    return out


def fields(msg: Message, /, *, exclude: Collection[str] = ()) -> dict[str, Any]:
    """The fields of a request as plain values by name (the reverse of `message`, for building
    domain specs): enum → lower-case name, Timestamp → datetime (None when unset), Struct →
    dict, repeated → list; other messages stay messages (None when unset). An unspecified
    enum (0) reads as "" (not given), like an empty string."""
    out: dict[str, Any] = {}
    for field in msg.DESCRIPTOR.fields:
        if field.name in exclude:
            continue
        value = getattr(msg, field.name)
        kind = field.message_type.full_name if field.message_type is not None else ""
        if field.is_repeated:
            if field.enum_type is not None:
                out[field.name] = [enum_name(field.enum_type, v) if v else "" for v in value]
            else:
                out[field.name] = list(value)
        elif field.enum_type is not None:
            out[field.name] = enum_name(field.enum_type, value) if value else ""
        elif kind == _STRUCT:
            out[field.name] = from_struct(value)
        elif kind and not msg.HasField(field.name):
            out[field.name] = None
        elif kind == _TIMESTAMP:
            out[field.name] = value.ToDatetime(tzinfo=UTC)
        else:
            out[field.name] = value
    return out


def _value(field: FieldDescriptor, value: Any) -> Any:
    if field.message_type is not None:
        kind = field.message_type.full_name
        if isinstance(value, Message):
            return value
        if kind == _TIMESTAMP:
            return ts(value)
        if kind == _STRUCT:
            return struct(value)
        return message(message_factory.GetMessageClass(field.message_type), value)
    if field.enum_type is not None and isinstance(value, str):
        return enum_value(field.enum_type, value)
    if isinstance(value, date) and field.type == descriptor.FieldDescriptor.TYPE_STRING:
        return value.isoformat()
    return value
