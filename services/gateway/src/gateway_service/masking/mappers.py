"""Governance masking rule messages ↔ REST models."""

from __future__ import annotations

from typing import Any

from datacompass.governance.v1 import masking_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.masking import schemas as s

rule = FromProto(s.MaskingRule, pb.MaskingRule)
preview = FromProto(s.MaskingSqlPreview, pb.MaskingSqlPreview)
create_request = ToProto(pb.CreateMaskingRuleRequest, s.MaskingRuleCreate)
_update = ToProto(pb.UpdateMaskingRuleRequest, s.MaskingRuleUpdate)


def update_request(rule_id: int, changes: dict[str, Any]) -> pb.UpdateMaskingRuleRequest:
    """`changes`: the PATCH fields sent (nulls only where CLEARABLE allows them: they clear)."""
    return _update(changes, id=rule_id, set_exempt_roles="exempt_roles" in changes)
