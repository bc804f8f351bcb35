"""Quality profile messages → REST models."""

from __future__ import annotations

from datacompass.quality.v1 import quality_rules_pb2 as pb
from gateway_service.core.convert import FromProto
from gateway_service.profiles import schemas as s

column_profile = FromProto(s.ColumnProfile, pb.ColumnProfile, ignore=("object_urn",))
profile_run = FromProto(s.ProfileRun, pb.ProfileRun, nested={"columns": column_profile})
