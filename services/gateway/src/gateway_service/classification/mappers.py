"""Governance classification messages ↔ REST models."""

from __future__ import annotations

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service.classification import schemas as s
from gateway_service.core.convert import FromProto, ToProto

classification = FromProto(s.Classification, pb.Classification)
object_classification = FromProto(s.ObjectClassification, pb.ObjectClassification)
rule = FromProto(s.ClassificationRule, pb.ClassificationRule)
apply_result = FromProto(s.ApplyResult, pb.ApplyResult)

set_request = ToProto(pb.SetClassificationRequest, s.ClassificationSet)
new_rule = ToProto(pb.ClassificationRule, s.ClassificationRuleCreate)
rule_changes = ToProto(pb.ClassificationRule, s.ClassificationRuleUpdate)
