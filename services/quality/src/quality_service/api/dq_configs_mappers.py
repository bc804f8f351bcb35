"""DQ configs and expectations ↔ protobuf."""

from __future__ import annotations

from typing import Any

from datacompass.quality.v1 import dq_pb2 as pb
from dckit.protoconv import from_message, mask_changes, to_message
from quality_service.application.ports import Row
from quality_service.domain.dq_configs import (
    CONFIG_FIELDS,
    EXPECTATION_FIELDS,
    DqConfigSpec,
    ExpectationSpec,
)


def expectation(row: Row) -> pb.Expectation:
    # Unset threshold keys stay out (a Struct would show them as null).
    threshold = {k: v for k, v in row["threshold"].items() if v is not None}
    return to_message(
        pb.Expectation, row, complete=True, rename={"column": "column_name"}, threshold=threshold
    )


def config(row: Row) -> pb.DqConfig:
    return to_message(
        pb.DqConfig, row, complete=True, expectations=[expectation(e) for e in row["expectations"]]
    )


def config_spec(request: pb.CreateConfigRequest) -> DqConfigSpec:
    return from_message(DqConfigSpec, request)


def config_changes(request: pb.UpdateConfigRequest) -> dict[str, Any]:
    return mask_changes(request.config, request.update_mask, CONFIG_FIELDS)


def expectation_spec(request: pb.CreateExpectationRequest) -> ExpectationSpec:
    return from_message(ExpectationSpec, request)


def expectation_changes(request: pb.UpdateExpectationRequest) -> dict[str, Any]:
    return mask_changes(request.expectation, request.update_mask, EXPECTATION_FIELDS)
