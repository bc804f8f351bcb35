"""Subscription rules: domain records → protobuf, requests → specs and changes."""

from __future__ import annotations

from typing import Any

from datacompass.notifier.v1 import notifier_pb2 as pb
from dckit.protoconv import ProtoFrom, from_proto, masked
from notifier_service.domain.rules import FIELDS, Rule, RuleSpec

rule = ProtoFrom(pb.Rule, Rule)


def spec(request: pb.CreateRuleRequest) -> RuleSpec:
    """Unset optional fields take the domain's defaults."""
    return RuleSpec(**from_proto(request, FIELDS, only_set=True))


def changes(request: pb.UpdateRuleRequest) -> dict[str, Any]:
    return masked(request.rule, request.update_mask, FIELDS)
