"""Subscription rules: domain records → protobuf, requests → specs and changes."""

from __future__ import annotations

from typing import Any

from datacompass.notifier.v1 import notifier_pb2 as pb
from dckit.protoconv import mask_changes, message_values, to_message
from notifier_service.domain.rules import FIELDS, Rule, RuleSpec


def rule(value: Rule) -> pb.Rule:
    return to_message(pb.Rule, value, complete=True)


def spec(request: pb.CreateRuleRequest) -> RuleSpec:
    """Unset optional fields take the domain's defaults."""
    return RuleSpec(**message_values(request, FIELDS, only_set=True))


def changes(request: pb.UpdateRuleRequest) -> dict[str, Any]:
    return mask_changes(request.rule, request.update_mask, FIELDS)
