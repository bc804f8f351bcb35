"""Masking rule rows and requests ↔ protobuf messages."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2

from datacompass.governance.v1 import masking_pb2 as pb
from dckit.protoconv import from_struct, struct, ts, whole_numbers
from governance_service.adapters.catalog_grpc import CatalogObject
from governance_service.db.masking_repo import Row
from governance_service.domain import masking_rules as dom

# Optional scalar fields of UpdateMaskingRuleRequest: set = change.
_SCALARS = ("name", "method", "preserve_null", "enabled", "description")


def config_from(msg: struct_pb2.Struct) -> dict[str, Any]:
    out: dict[str, Any] = whole_numbers(from_struct(msg))
    return out


def spec_from(msg: pb.CreateMaskingRuleRequest) -> dom.RuleSpec:
    return dom.RuleSpec(
        method=msg.method,
        config=config_from(msg.config),
        name=msg.name,
        exempt_roles=tuple(msg.exempt_roles),
        preserve_null=msg.preserve_null if msg.HasField("preserve_null") else True,
        enabled=msg.enabled if msg.HasField("enabled") else True,
        description=msg.description,
    )


def changes_from(msg: pb.UpdateMaskingRuleRequest) -> dict[str, Any]:
    """The fields the request sets (an empty dict is refused by the use case)."""
    out: dict[str, Any] = {f: getattr(msg, f) for f in _SCALARS if msg.HasField(f)}
    if msg.HasField("config"):
        out["config"] = config_from(msg.config)
    if msg.set_exempt_roles:
        out["exempt_roles"] = list(msg.exempt_roles)
    return out


def rule(row: Row) -> pb.MaskingRule:
    return pb.MaskingRule(
        id=row["id"],
        object_ref=row["object_ref"],
        object_urn=row["object_urn"],
        column=row["column"],
        column_urn=row["column_urn"],
        name=row["name"],
        method=row["method"],
        config=struct(dict(row["config"] or {})),
        exempt_roles=list(row["exempt_roles"] or []),
        preserve_null=row["preserve_null"],
        enabled=row["enabled"],
        description=row["description"],
        created_by=row["created_by"],
        created_at=ts(row["created_at"]),
        updated_by=row["updated_by"],
        updated_at=ts(row["updated_at"]),
    )


def changed(row: Row, change: str) -> pb.MaskingRuleChanged:
    return pb.MaskingRuleChanged(change=change, rule=rule(row))


def columns_from(msg: pb.MaskValuesRequest) -> list[tuple[str, list[Any]]]:
    out = []
    for col in msg.columns:
        values: Any = json_format.MessageToDict(col.values)  # a ListValue becomes a list
        out.append((col.column, [whole_numbers(v) for v in values]))
    return out


def _list_value(values: list[Any]) -> struct_pb2.ListValue:
    out = struct_pb2.ListValue()
    out.extend(values)
    return out


def masked(columns: list[tuple[str, list[Any]]], names: list[str]) -> pb.MaskValuesResponse:
    return pb.MaskValuesResponse(
        columns=[pb.ColumnValues(column=c, values=_list_value(v)) for c, v in columns],
        masked_columns=names,
    )


def preview(obj: CatalogObject, dialect: str, sql: str, notes: list[str]) -> pb.MaskingSqlPreview:
    return pb.MaskingSqlPreview(object_ref=obj.ref, dialect=dialect, sql=sql, notes=notes)
