"""Protobuf ↔ REST conversions: the by-name model builders (`FromProto`, `ToProto`) and the
generic pieces (timestamps, Structs, enums, paging, int64 ids, object and column refs)."""

from __future__ import annotations

import types
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar, Union, cast, get_args, get_origin

from google.protobuf import field_mask_pb2, json_format, message_factory, struct_pb2, timestamp_pb2
from google.protobuf.message import Message
from pydantic import BaseModel

from datacompass.common.v1 import paging_pb2, refs_pb2
from dckit import protoconv
from dckit.errors import InvalidArgument
from dckit.protoconv import EnumDescriptor, enum_number, enum_text, whole_numbers
from gateway_service.core.errors import ApiError

M = TypeVar("M", bound=BaseModel)
P = TypeVar("P", bound=Message)

INT64_MAX = 2**63 - 1
_TIMESTAMP = "google.protobuf.Timestamp"
_STRUCT = "google.protobuf.Struct"
_LIST_VALUE = "google.protobuf.ListValue"
_OBJECT_REF = "datacompass.common.v1.ObjectRef"


# ---------------------------------------------------------------- single values


def timestamp(msg: Message, field: str) -> datetime | None:
    if not msg.HasField(field):
        return None
    value = cast(timestamp_pb2.Timestamp, getattr(msg, field))
    return value.ToDatetime(tzinfo=UTC)


def optional(value: str) -> str | None:
    return value or None


def to_struct(value: Mapping[str, Any], field: str) -> struct_pb2.Struct:
    """A JSON object as a Struct; 400 naming `field` when it holds what a Struct cannot."""
    out = struct_pb2.Struct()
    try:
        out.update(value)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "INVALID_ARGUMENT", f"{field}: {exc}") from exc
    return out


def enum_value(enum: EnumDescriptor, label: str | None, field: str) -> int:
    """`running` → the number of `SCAN_STATUS_RUNNING` (a filter's None → 0, unspecified); 400
    naming `field` and the allowed labels for anything else."""
    try:
        return enum_number(enum, label or "", field)
    except InvalidArgument as exc:
        raise ApiError(400, "INVALID_ARGUMENT", exc.message) from exc


def enum_numbers(enum: Any, words: Iterable[str]) -> list[int]:
    """`["running"]` → `[SCAN_STATUS_RUNNING]` (REST models validate the words first)."""
    descriptor = getattr(enum, "DESCRIPTOR", enum)
    return [enum_value(descriptor, w, descriptor.name) for w in words]


# ---------------------------------------------------------------- paging


def page_request(limit: int, cursor: str | None) -> paging_pb2.PageRequest:
    return paging_pb2.PageRequest(limit=limit, cursor=cursor or "")


def next_cursor(page: paging_pb2.PageResponse) -> str | None:
    return page.next_cursor or None


def page_of(page: type[M], resp: Any, item: Callable[[Any], Any]) -> M:
    """A REST page (`items`, `next_cursor`) of a list response (`items`, `page`)."""
    return page(items=[item(x) for x in resp.items], next_cursor=next_cursor(resp.page))


# ---------------------------------------------------------------- refs


def split_column_ref(urn: str) -> tuple[str, str]:
    """A column URN (`<object urn>.<column>`) or ref (`source.schema.table.column`) as (object
    ref or URN, column), split at the last '.' (column names with a '.' cannot be named this
    way); 400 when there is no '.'."""
    obj, dot, column = urn.strip().rpartition(".")
    if not dot or not obj or not column:
        raise ApiError(
            400,
            "INVALID_ARGUMENT",
            f"column: {urn!r} is not <object urn or ref>.<column>",
        )
    return obj, column


def object_ref(ref: str) -> refs_pb2.ObjectRef:
    """`source.schema.name`, a URN (`urn:dcs:...`) or a numeric id; the catalog validates the
    qualified name and the URN."""
    text = ref.strip()
    if text.isascii() and text.isdigit() and int(text) > INT64_MAX:
        raise ApiError(404, "NOT_FOUND", f"object id {text} not found")
    return protoconv.object_ref(text)


# ---------------------------------------------------------------- by-name builders

Reader = Callable[[Message], Any]
# Protobuf descriptors (pure-Python or upb classes, which the stubs type apart).
Descriptor = Any
FieldDescriptor = Any


class FromProto(Generic[M]):
    """Builds REST model `model` from protobuf `message` field by field name.

    Per model field: Timestamp → datetime; Struct/ListValue → JSON (whole numbers as ints);
    enum → lower-case name without the enum's prefix; ISO string → `date`; repeated and nested
    messages → lists of / nested models (recursively, or with `nested[field]`); another nested
    message → dict of its fields. An optional model field (`X | None`) is None when the proto
    field is unset (fields with presence) or holds its zero value ("", 0).

    `rename` maps a model field to its proto field (a dotted path reaches into a nested
    message); `flatten` names nested messages whose fields are read as the model's own;
    `custom` model fields are given by the caller instead; `ignore` proto fields are not
    exposed. Every other field must exist on both sides: the mismatch fails when the mapping
    is declared (at import), so a new proto field is never silently dropped."""

    def __init__(
        self,
        model: type[M],
        message: type[Message],
        *,
        rename: Mapping[str, str] | None = None,
        flatten: Collection[str] = (),
        custom: Collection[str] = (),
        ignore: Collection[str] = (),
        nested: Mapping[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        rename, nested = dict(rename or {}), dict(nested or {})
        where = f"{model.__name__} ← {message.DESCRIPTOR.full_name}"
        unknown = set(custom) - set(model.model_fields)
        if unknown:
            raise TypeError(f"{where}: custom fields not on the model: {sorted(unknown)}")
        # Keyed like the model's constructor: by alias where a field has one.
        self.model = model
        self.custom = frozenset(model.model_fields[n].alias or n for n in custom)
        top: Descriptor = message.DESCRIPTOR
        scopes: list[tuple[str, Descriptor]] = [
            (name, top.fields_by_name[name].message_type) for name in flatten
        ]
        self._readers: list[tuple[str, Reader]] = []
        used: set[str] = set(flatten)
        for name, info in model.model_fields.items():
            path = rename.get(name) or info.alias or name
            if "." not in path and path not in top.fields_by_name:
                path = next((f"{s}.{path}" for s, d in scopes if path in d.fields_by_name), path)
            if name in custom:
                used.add(path)  # the caller maps it
                continue
            try:
                chain = _resolve(top, path)
            except KeyError:
                raise TypeError(f"{where}: no proto field for model field {name!r}") from None
            used.add(path)
            leaf = _reader(chain[-1], info.annotation, nested.get(name), where)
            self._readers.append((info.alias or name, _through(chain[:-1], leaf)))
        exposed = {f.name for f in top.fields} | {
            f"{s}.{f.name}" for s, d in scopes for f in d.fields
        }
        dropped = exposed - used - set(ignore) - {p.split(".")[0] for p in used}
        if dropped:
            raise TypeError(f"{where}: proto fields neither mapped nor ignored: {sorted(dropped)}")

    def __call__(self, msg: Message, **custom: Any) -> M:
        unknown = set(custom) - self.custom
        if unknown:
            raise TypeError(f"{self.model.__name__}: not custom fields: {sorted(unknown)}")
        values = {name: read(msg) for name, read in self._readers}
        return self.model(**values, **custom)


class ToProto(Generic[P]):
    """Builds protobuf `message` from the fields of request model `model` by name: None →
    left unset (in a PATCH `changes` mapping: the zero value, which clears the field), a dict →
    Struct (400 naming the field when invalid), a `date` → ISO string, a string for an
    `ObjectRef` field → the ref (`object_ref`), a string for an enum field → the value of that
    lower-case name. `rename` maps a model field to its proto field; `custom` model fields are
    given by the caller (as keyword arguments, like the fields the body does not carry).
    Checked when declared."""

    def __init__(
        self,
        message: type[P],
        model: type[BaseModel],
        *,
        rename: Mapping[str, str] | None = None,
        custom: Collection[str] = (),
    ) -> None:
        self.message, self.rename, self.custom = message, dict(rename or {}), frozenset(custom)
        fields = message.DESCRIPTOR.fields_by_name
        missing = [
            name
            for name in model.model_fields
            if name not in self.custom and self.rename.get(name, name) not in fields
        ]
        if missing:
            where = f"{model.__name__} → {message.DESCRIPTOR.full_name}"
            raise TypeError(f"{where}: no proto field for model fields {missing}")
        self._structs = {f.name for f in fields.values() if _full_name(f) == _STRUCT}
        self._refs = {f.name for f in fields.values() if _full_name(f) == _OBJECT_REF}
        self._enums = {f.name: f.enum_type for f in fields.values() if f.enum_type is not None}

    def __call__(self, body: BaseModel | Mapping[str, Any], **extra: Any) -> P:
        given = body.model_dump(exclude_none=True) if isinstance(body, BaseModel) else body
        values: dict[str, Any] = {}
        for name, value in given.items():
            if name in self.custom:
                continue
            field = self.rename.get(name, name)
            if field in self._structs:
                values[field] = to_struct(value or {}, name)
            elif value is None:
                values[field] = self.message.DESCRIPTOR.fields_by_name[field].default_value
            elif field in self._refs and isinstance(value, str):
                values[field] = object_ref(value)
            elif field in self._enums:
                enum = self._enums[field]
                if isinstance(value, list):
                    values[field] = [enum_value(enum, v, name) for v in value]
                else:
                    values[field] = enum_value(enum, value, name)
            else:
                values[field] = value.isoformat() if isinstance(value, date) else value
        return self.message(**values, **extra)


class ToUpdate(Generic[P]):
    """Builds an `Update<Thing>Request` (docs/proto-style.md) from a PATCH's `changes`: its
    message field `resource` carries the values sent (built like `ToProto` from `model`, a null
    becoming the zero value that clears the field), `update_mask` names them (proto names); the
    key (`id=...`) is given by the caller."""

    def __init__(
        self,
        message: type[P],
        resource: str,
        model: type[BaseModel],
        *,
        rename: Mapping[str, str] | None = None,
    ) -> None:
        self.message, self.resource, self.rename = message, resource, dict(rename or {})
        descriptor: Descriptor = message.DESCRIPTOR.fields_by_name[resource].message_type
        self.build = ToProto(message_factory.GetMessageClass(descriptor), model, rename=rename)

    def __call__(self, changes: Mapping[str, Any], **key: Any) -> P:
        mask = field_mask_pb2.FieldMask(paths=sorted(self.rename.get(k, k) for k in changes))
        return self.message(**key, **{self.resource: self.build(changes)}, update_mask=mask)


def _resolve(top: Descriptor, path: str) -> list[FieldDescriptor]:
    chain, scope = [], top
    for part in path.split("."):
        field = scope.fields_by_name[part]
        chain.append(field)
        scope = field.message_type
    return chain


def _through(parents: Iterable[FieldDescriptor], leaf: Reader) -> Reader:
    names = [f.name for f in parents]
    if not names:
        return leaf

    def read(msg: Message) -> Any:
        for name in names:
            msg = getattr(msg, name)
        return leaf(msg)

    return read


def _full_name(field: FieldDescriptor) -> str:
    return field.message_type.full_name if field.message_type is not None else ""


def rest_enum_text(enum: EnumDescriptor, number: int) -> str:
    """An enum value as REST shows it: its text (`running`), the zero as `unspecified`, and a
    number this gateway does not know (a newer backend's) as its digits, for the REST model to
    show or refuse."""
    if number not in enum.values_by_number:
        return str(number)
    return enum_text(enum, number) or "unspecified"


def _json_value(msg: Message) -> Any:
    """A Struct or ListValue as JSON; Struct numbers are doubles: whole ones become ints."""
    return whole_numbers(json_format.MessageToDict(msg))


def _message_dict(msg: Message) -> dict[str, Any]:
    """Every field of `msg` by its proto name, in declaration order."""
    out = json_format.MessageToDict(
        msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return {f.name: out[f.name] for f in msg.DESCRIPTOR.fields if f.name in out}


def _split_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(get_args(annotation))
    return annotation, False


def _model_type(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _sub_mapper(
    field: FieldDescriptor, annotation: Any, given: Callable[[Any], Any] | None, where: str
) -> Callable[[Any], Any]:
    if given is not None:
        return given
    model = _model_type(annotation)
    if model is None:
        raise TypeError(f"{where}: field {field.name!r} needs a model type, not {annotation}")
    return FromProto(model, message_factory.GetMessageClass(field.message_type))


def _reader(
    field: FieldDescriptor, annotation: Any, given: Callable[[Any], Any] | None, where: str
) -> Reader:
    """How one model field is read from its proto field (decided once, at declaration)."""
    name = field.name
    inner, nullable = _split_optional(annotation)
    kind = _full_name(field)
    if field.is_repeated:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            return lambda msg: dict(getattr(msg, name))
        if field.message_type is not None:
            (item,) = get_args(inner) or (None,)
            sub = _sub_mapper(field, item, given, where)
            return lambda msg: [sub(x) for x in getattr(msg, name)]
        if field.enum_type is not None:
            enum = field.enum_type
            return lambda msg: [rest_enum_text(enum, v) for v in getattr(msg, name)]
        return lambda msg: list(getattr(msg, name))
    if kind == _TIMESTAMP:
        return lambda msg: timestamp(msg, name)
    if kind:
        convert: Callable[[Any], Any]
        if kind in (_STRUCT, _LIST_VALUE):
            convert = _json_value
        elif given is not None or _model_type(inner) is not None:
            convert = _sub_mapper(field, inner, given, where)
        elif get_origin(inner) is dict:
            convert = _message_dict
        else:
            raise TypeError(f"{where}: cannot read message field {name!r} as {annotation}")
        if nullable:
            return lambda msg: convert(getattr(msg, name)) if msg.HasField(name) else None
        return lambda msg: convert(getattr(msg, name))
    if field.enum_type is not None:
        enum = field.enum_type
        return lambda msg: rest_enum_text(enum, getattr(msg, name))
    if inner is date:
        return lambda msg: date.fromisoformat(getattr(msg, name)) if getattr(msg, name) else None
    if not nullable:
        return lambda msg: getattr(msg, name)
    if field.has_presence:
        return lambda msg: getattr(msg, name) if msg.HasField(name) else None
    return lambda msg: getattr(msg, name) or None
