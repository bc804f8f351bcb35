"""Quality rule, check, score and suggestion messages ↔ REST models."""

from __future__ import annotations

from datacompass.quality.v1 import quality_rules_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto, ToUpdate
from gateway_service.quality_rules import schemas as s

CONFIG = {"rule_config": "config"}

rule = FromProto(s.QualityRule, pb.QualityRule, rename=CONFIG)
check_run = FromProto(s.CheckRun, pb.CheckRun)
score = FromProto(s.QualityScore, pb.QualityScore, ignore=("object_urn",))
suggestion = FromProto(s.RuleSuggestion, pb.RuleSuggestion, rename=CONFIG)

create_rule_request = ToProto(pb.CreateQualityRuleRequest, s.QualityRuleCreate, rename=CONFIG)
update_rule_request = ToUpdate(
    pb.UpdateQualityRuleRequest, "rule", s.QualityRuleUpdate, rename=CONFIG
)
run_checks_request = ToProto(pb.RunChecksRequest, s.CheckRunCreate, custom={"capsule"})
