"""Governance data policy messages ↔ REST models."""

from __future__ import annotations

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.policies import schemas as s

policy = FromProto(s.Policy, pb.Policy, flatten={"spec"})
# Missing or null fields are left at their zero value (`fields` says which ones change).
spec = ToProto(pb.PolicySpec, s.PolicyFields)
