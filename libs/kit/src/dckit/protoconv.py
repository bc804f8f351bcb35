"""Conversions between database values and protobuf well-known types, and by-name builders
(records → messages, messages → records, update masks), shared by every service's API
mappers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from google.protobuf import (
    field_mask_pb2,
    json_format,
    message_factory,
    struct_pb2,
    timestamp_pb2,
)
from google.protobuf.message import Message

from datacompass.common.v1 import refs_pb2
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
    return str(getattr(ref, form)) if form else ""


# ---------------------------------------------------------------- by-name builders

_MISSING = object()
_TIMESTAMP = "google.protobuf.Timestamp"
_STRUCT = "google.protobuf.Struct"
_LIST_VALUE = "google.protobuf.ListValue"
T = TypeVar("T")
M = TypeVar("M", bound=Message)


def to_message(cls: type[M], source: Any = None, /, **values: Any) -> M:
    """Message `cls` filled field by field from the same-named attributes (or keys, for a
    mapping) of `source`, `values` adding to or overriding them. A datetime fills a Timestamp,
    a mapping a Struct, a list a ListValue, a date an ISO text; a dataclass or mapping fills a
    nested message by name again. None and names `source` lacks leave a field unset; what
    `source` has beyond the message's fields is not shown."""
    out = cls()
    for field in cls.DESCRIPTOR.fields:
        value = values.get(field.name, _MISSING)
        if value is _MISSING:
            value = _get(source, field.name)
        if value is not None and value is not _MISSING:
            _put(out, field, value)
    return out


def from_message(cls: type[T], msg: Message, /, **values: Any) -> T:
    """Dataclass `cls` from the same-named fields of `msg`, `values` adding to or overriding
    them: repeated fields as tuples, a Struct as a dict (whole numbers as ints), a Timestamp as
    a datetime. A field with presence that is unset (`optional`, messages) and a dataclass
    field `msg` lacks keep the dataclass's default."""
    fields = msg.DESCRIPTOR.fields_by_name
    kwargs: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        if spec.name in values:
            kwargs[spec.name] = values[spec.name]
            continue
        field = fields.get(spec.name)
        if field is None or not spec.init:
            continue
        if field.has_presence and not field.is_repeated and not msg.HasField(field.name):
            continue
        kwargs[spec.name] = _read(getattr(msg, field.name), field)
    return cls(**kwargs)


def update_fields(mask: field_mask_pb2.FieldMask, allowed: Iterable[str]) -> tuple[str, ...]:
    """The fields an `update_mask` names (docs/proto-style.md): InvalidArgument when it names
    none ("change nothing" is a mistake) or one not in `allowed`."""
    names = tuple(allowed)
    paths = tuple(dict.fromkeys(mask.paths))
    if not paths:
        raise InvalidArgument(f"update_mask: name the fields to change, some of {', '.join(names)}")
    unknown = [p for p in paths if p not in names]
    if unknown:
        raise InvalidArgument(
            f"update_mask: unknown field(s) {', '.join(unknown)}; some of {', '.join(names)}"
        )
    return paths


def _get(source: Any, name: str) -> Any:
    if source is None:
        return _MISSING
    if isinstance(source, Mapping):
        return source.get(name, _MISSING)
    return getattr(source, name, _MISSING)


def _put(out: Message, field: Any, value: Any) -> None:
    name = field.name
    kind = field.message_type.full_name if field.message_type is not None else ""
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        getattr(out, name).update(value)
    elif field.is_repeated:
        target = getattr(out, name)
        if field.message_type is None:
            target.extend(value)
        else:
            sub = message_factory.GetMessageClass(field.message_type)
            target.extend(v if isinstance(v, Message) else to_message(sub, v) for v in value)
    elif isinstance(value, Message):
        getattr(out, name).CopyFrom(value)
    elif kind == _TIMESTAMP:
        getattr(out, name).FromDatetime(value)
    elif kind == _STRUCT:
        getattr(out, name).update(value)
    elif kind == _LIST_VALUE:
        getattr(out, name).extend(value)
    elif kind:
        getattr(out, name).CopyFrom(
            to_message(message_factory.GetMessageClass(field.message_type), value)
        )
    elif isinstance(value, date):  # a datetime is a date too: ISO text either way
        setattr(out, name, value.isoformat())
    else:
        setattr(out, name, value)


def _read(value: Any, field: Any) -> Any:
    kind = field.message_type.full_name if field.message_type is not None else ""
    if field.is_repeated and not (kind and field.message_type.GetOptions().map_entry):
        return tuple(value)
    if kind == _TIMESTAMP:
        return value.ToDatetime(tzinfo=UTC)
    if kind in (_STRUCT, _LIST_VALUE):
        return whole_numbers(json_format.MessageToDict(value))
    if kind and field.message_type.GetOptions().map_entry:
        return dict(value)
    return value
