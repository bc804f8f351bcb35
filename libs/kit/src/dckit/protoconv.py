"""Conversions between records (database values, domain dataclasses) and protobuf messages,
shared by every service's API mappers: well-known types, enum labels, by-name message
builders and FieldMask partial updates."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from google.protobuf import (
    descriptor,
    field_mask_pb2,
    json_format,
    message_factory,
    struct_pb2,
    timestamp_pb2,
)
from google.protobuf.descriptor import FieldDescriptor as _FieldDescriptor
from google.protobuf.message import Message

from datacompass.common.v1 import refs_pb2
from dckit.errors import InvalidArgument

M = TypeVar("M", bound=Message)
# Protobuf descriptors (pure-Python or upb classes, which the stubs type apart).
EnumDescriptor = Any
FieldDescriptor = Any


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
# REST and domain code name an enum value by its lower-case name without the enum's prefix:
# `running` for `SCAN_STATUS_RUNNING` of `ScanStatus` (docs/proto-style.md).

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _enum_prefix(enum: EnumDescriptor) -> str:
    return _CAMEL_BOUNDARY.sub("_", enum.name).upper() + "_"


def enum_labels(enum: EnumDescriptor) -> list[str]:
    """Every label of `enum` but the `_UNSPECIFIED` zero, in declaration order."""
    return [enum_label(enum, v.number) for v in enum.values if v.number != 0]


def enum_label(enum: EnumDescriptor, number: int) -> str:
    """`SCAN_STATUS_RUNNING` of enum `ScanStatus` → `running` ("" for the unspecified zero)."""
    if number == 0:
        return ""
    value = enum.values_by_number.get(number)
    if value is None:  # a newer client's value (proto3 enums are open)
        raise InvalidArgument(f"{enum.name}: unknown value {number}")
    return str(value.name).removeprefix(_enum_prefix(enum)).lower()


def enum_number(enum: EnumDescriptor, label: str, field: str = "") -> int:
    """`running` → the number of `SCAN_STATUS_RUNNING`; "" → 0 (unspecified). InvalidArgument
    naming `field` (default: the enum) and the allowed labels for anything else."""
    if not label:
        return 0
    value = enum.values_by_name.get(_enum_prefix(enum) + label.upper())
    if value is None or value.number == 0 or label != label.lower():
        allowed = ", ".join(enum_labels(enum))
        raise InvalidArgument(f"{field or enum.name}: must be one of {allowed}")
    return int(value.number)


# ---------------------------------------------------------------- records → messages


def _values(record: Any) -> Mapping[str, Any]:
    """A record's fields by name: a mapping as it is, a dataclass instance by its fields."""
    if isinstance(record, Mapping):
        return record
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


class ProtoFrom(Generic[M]):
    """Builds protobuf `message` from records (dataclasses of type `record`, or mappings) by
    field name: datetime → Timestamp, dict → Struct, a label (or a str enum) → enum value,
    None → unset; `rename` maps a proto field to the record field it reads. Every proto field
    must be read from the record, given per call (`custom`) or `ignore`d: checked when the
    builder is declared (at import), so a new proto field is never silently left empty."""

    def __init__(
        self,
        message: type[M],
        record: type[Any] | None = None,
        *,
        rename: Mapping[str, str] | None = None,
        custom: Collection[str] = (),
        ignore: Collection[str] = (),
    ) -> None:
        self.message = message
        self.rename = dict(rename or {})
        self.custom = frozenset(custom)
        self.fields = [
            f for f in message.DESCRIPTOR.fields if f.name not in self.custom | set(ignore)
        ]
        if record is not None:
            have = {f.name for f in dataclasses.fields(record)}
            missing = [f.name for f in self.fields if self.rename.get(f.name, f.name) not in have]
            if missing:
                where = f"{message.DESCRIPTOR.full_name} ← {record.__name__}"
                raise TypeError(f"{where}: no record field for proto fields {missing}")

    def __call__(self, record: Any, **custom: Any) -> M:
        unknown = set(custom) - self.custom
        if unknown:
            raise TypeError(f"{self.message.__name__}: not custom fields: {sorted(unknown)}")
        values = _values(record)
        out: dict[str, Any] = {}
        for field in self.fields:
            value = values[self.rename.get(field.name, field.name)]
            if value is not None:
                out[field.name] = _to_field(field, value)
        return self.message(**out, **custom)


def _enum(field: FieldDescriptor, value: Any) -> int:
    if isinstance(value, int):
        return value
    label = value.value if isinstance(value, Enum) else value
    return enum_number(field.enum_type, label, field.name)


def _to_field(field: FieldDescriptor, value: Any) -> Any:
    if field.is_repeated:
        if field.enum_type is not None:
            return [_enum(field, v) for v in value]
        return list(value)
    if field.enum_type is not None:
        return _enum(field, value)
    kind = field.message_type.full_name if field.message_type is not None else ""
    if kind == "google.protobuf.Timestamp":
        return ts(value)
    if kind == "google.protobuf.Struct":
        return struct(dict(value))
    return value


# ---------------------------------------------------------------- requests → values


def from_proto(message: Message, names: Iterable[str], *, only_set: bool = False) -> dict[str, Any]:
    """The named fields of `message` as plain values: Struct → dict (whole numbers as ints),
    repeated → list, enum → label, Timestamp → datetime (None when unset). `only_set` leaves
    out `optional` scalars the message does not set, so the domain's defaults apply."""
    fields = message.DESCRIPTOR.fields_by_name
    return {
        name: _from_field(message, fields[name])
        for name in names
        if not (only_set and _unset_optional(message, fields[name]))
    }


def _unset_optional(message: Message, field: FieldDescriptor) -> bool:
    scalar = field.message_type is None and not field.is_repeated
    return bool(scalar and field.has_presence and not message.HasField(field.name))


def _from_field(message: Message, field: FieldDescriptor) -> Any:
    value = getattr(message, field.name)
    if field.is_repeated:
        if field.enum_type is not None:
            return [enum_label(field.enum_type, v) for v in value]
        return list(value)
    if field.enum_type is not None:
        return enum_label(field.enum_type, value)
    kind = field.message_type.full_name if field.message_type is not None else ""
    if kind == "google.protobuf.Struct":
        return whole_numbers(from_struct(value))
    if kind == "google.protobuf.Timestamp":
        return value.ToDatetime(tzinfo=UTC) if message.HasField(field.name) else None
    return value


def masked(
    message: Message, mask: field_mask_pb2.FieldMask, updatable: Collection[str]
) -> dict[str, Any]:
    """The changes a partial update asks for: the fields of `message` named in `mask` (a field
    in the mask but unset in the message is cleared: its zero value). InvalidArgument for an
    empty mask or a path outside `updatable` (docs/proto-style.md)."""
    paths = list(dict.fromkeys(mask.paths))
    if not paths:
        raise InvalidArgument(
            f"update_mask: name the fields to change (any of {', '.join(updatable)})"
        )
    unknown = [p for p in paths if p not in updatable]
    if unknown:
        raise InvalidArgument(
            f"update_mask: cannot change {', '.join(unknown)} (only {', '.join(updatable)})"
        )
    return from_proto(message, paths)


# -- by-name builders of the catalog (to be unified with the ones above)
_TIMESTAMP = "google.protobuf.Timestamp"
_STRUCT = "google.protobuf.Struct"


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


# -- by-name builders of governance (to be unified with the ones above)
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
_LIST_VALUE = "google.protobuf.ListValue"
T = TypeVar("T")


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
        kwargs[spec.name] = _read_value(getattr(msg, field.name), field)
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


def _read_value(value: Any, field: Any) -> Any:
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


# -- by-name builders of quality (to be unified with the ones above)
EnumType = Any  # an enum's descriptor or its generated wrapper (`pb.BreachStatus`)
# Protobuf descriptors (pure-Python or upb classes, which the stubs type apart).
Descriptor = Any


def _enum_descriptor(enum: EnumType) -> Descriptor:
    return getattr(enum, "DESCRIPTOR", enum)


def enum_text(enum: EnumType, number: int) -> str:
    """`BREACH_STATUS_OPEN` of enum `BreachStatus` → `open`: the words services store and
    REST shows (docs/proto-style.md)."""
    descriptor = _enum_descriptor(enum)
    value = descriptor.values_by_number.get(number)
    if value is None:  # an open enum carries numbers this version does not know
        raise ValueError(f"{number} is not a {descriptor.name}")
    return str(value.name).removeprefix(_enum_prefix(descriptor)).lower()


def enum_word_number(enum: EnumType, text: str) -> int:
    """`open` → `BREACH_STATUS_OPEN`'s number; ValueError for a word the enum does not have
    (callers turn it into the error their caller sees)."""
    descriptor = _enum_descriptor(enum)
    value = descriptor.values_by_name.get(_enum_prefix(descriptor) + text.upper())
    if value is None or value.number == 0 or not text:
        raise ValueError(f"{text!r} is not a {descriptor.name}")
    return int(value.number)


# ---------------------------------------------------------------- messages by field name


def to_message_checked(
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
            given[name] = _checked_field_value(field, value)
    if missing:
        raise TypeError(f"{cls.DESCRIPTOR.full_name}: no value for {sorted(missing)}")
    return cls(**given)


def _checked_field_value(field: Descriptor, value: Any) -> Any:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        return dict(value)
    if field.is_repeated:
        return [_checked_single_value(field, v) for v in value]
    return _checked_single_value(field, value)


def _checked_single_value(field: Descriptor, value: Any) -> Any:
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
        return to_message_checked(message_factory.GetMessageClass(field.message_type), value)
    if field.enum_type is not None and isinstance(value, str):
        return enum_word_number(field.enum_type, value)
    if field.type == _FieldDescriptor.TYPE_STRING and isinstance(value, date):
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


def from_message_checked(cls: type[R], message: Message, **extra: Any) -> R:
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
        return _read_checked(field, value)
    except ValueError as exc:  # an enum number this version does not know
        raise InvalidArgument(f"{field.name}: {exc}") from exc


def _read_checked(field: Descriptor, value: Any) -> Any:
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
