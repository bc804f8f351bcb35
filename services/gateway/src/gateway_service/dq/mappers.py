"""Quality DQ messages ↔ REST models. REST shows an object by its ref (the URN stays inside)."""

from __future__ import annotations

from datacompass.quality.v1 import dq_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto, ToUpdate
from gateway_service.dq import schemas as s

URN = ("object_urn",)

expectation = FromProto(s.Expectation, pb.Expectation)
config = FromProto(s.DqConfig, pb.DqConfig, ignore=URN)
run = FromProto(s.DqRun, pb.DqRun, ignore=URN)
result = FromProto(s.DqResult, pb.DqResult)
summary = FromProto(s.ConfigSummary, pb.ConfigSummary, nested={"config": config, "last_run": run})
breach = FromProto(s.Breach, pb.Breach, ignore=URN)

create_config_request = ToProto(pb.CreateConfigRequest, s.DqConfigCreate, custom={"object_ref"})
update_config_request = ToUpdate(pb.UpdateConfigRequest, "config", s.DqConfigUpdate)
create_expectation_request = ToProto(pb.CreateExpectationRequest, s.ExpectationCreate)
update_expectation_request = ToUpdate(
    pb.UpdateExpectationRequest, "expectation", s.ExpectationUpdate
)
change_breach_status_request = ToProto(pb.ChangeBreachStatusRequest, s.BreachUpdate)
