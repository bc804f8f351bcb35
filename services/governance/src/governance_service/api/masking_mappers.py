"""Masking rules, masked values and SQL previews ↔ protobuf messages."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from datacompass.governance.v1 import masking_pb2 as pb
from dckit.protoconv import from_message, to_message, whole_numbers
from governance_service.application.masking import SqlPreview
from governance_service.domain.masking_rules import MaskingRule, MaskingRuleSpec


def spec_from(msg: pb.CreateMaskingRuleRequest | pb.MaskingRule) -> MaskingRuleSpec:
    """Unset `optional` flags of a create request keep the spec's defaults (on)."""
    return from_message(MaskingRuleSpec, msg)


def rule(value: MaskingRule) -> pb.MaskingRule:
    return to_message(pb.MaskingRule, value)


def masking_rule_changed(value: MaskingRule, change: str) -> pb.MaskingRuleChanged:
    return pb.MaskingRuleChanged(change=change, rule=rule(value))


def columns_from(msg: pb.MaskValuesRequest) -> list[tuple[str, list[Any]]]:
    # A ListValue's numbers are doubles: whole ones are integers again.
    return [(c.column, whole_numbers(json_format.MessageToDict(c.values))) for c in msg.columns]


def masked(columns: list[tuple[str, list[Any]]], names: list[str]) -> pb.MaskValuesResponse:
    shown = [to_message(pb.ColumnValues, column=c, values=v) for c, v in columns]
    return pb.MaskValuesResponse(columns=shown, masked_columns=names)


def preview(value: SqlPreview) -> pb.MaskingSqlPreview:
    obj = value.obj
    return to_message(pb.MaskingSqlPreview, value, object_ref=obj.ref, object_urn=obj.urn)
