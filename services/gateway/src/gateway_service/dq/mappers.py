"""Quality DQ messages ↔ REST models."""

from __future__ import annotations

from datacompass.quality.v1 import quality_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.dq import schemas as s

expectation = FromProto(s.Expectation, pb.Expectation)
config = FromProto(s.DqConfig, pb.DqConfig)
run = FromProto(s.DqRun, pb.DqRun)
result = FromProto(s.DqResult, pb.DqResult)
summary = FromProto(s.ConfigSummary, pb.ConfigSummary)
breach = FromProto(s.Breach, pb.Breach)

create_config_request = ToProto(pb.CreateConfigRequest, s.DqConfigCreate)
update_config_request = ToProto(pb.UpdateConfigRequest, s.DqConfigUpdate)
create_expectation_request = ToProto(pb.CreateExpectationRequest, s.ExpectationCreate)
update_expectation_request = ToProto(pb.UpdateExpectationRequest, s.ExpectationUpdate)
