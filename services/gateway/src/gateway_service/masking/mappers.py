"""Governance masking rule messages ↔ REST models."""

from __future__ import annotations

from typing import Any

from google.protobuf.field_mask_pb2 import FieldMask

from datacompass.governance.v1 import masking_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.masking import schemas as s

rule = FromProto(s.MaskingRule, pb.MaskingRule)
# REST keeps showing the ref it always showed; the URN is for gRPC callers.
preview = FromProto(s.MaskingSqlPreview, pb.MaskingSqlPreview, ignore={"object_urn"})
create_request = ToProto(pb.CreateMaskingRuleRequest, s.MaskingRuleCreate)
_rule_changes = ToProto(pb.MaskingRule, s.MaskingRuleUpdate)


def update_request(rule_id: int, changes: dict[str, Any]) -> pb.UpdateMaskingRuleRequest:
    """`changes`: the PATCH fields sent (nulls only where CLEARABLE allows them: they clear)."""
    mask = FieldMask(paths=sorted(changes))
    return pb.UpdateMaskingRuleRequest(id=rule_id, rule=_rule_changes(changes), update_mask=mask)
