"""The quality service's rules of a capsule (port `QualityRules`, capsule as code), over the
quality service's gRPC API. The caller's context (actor, role, change set) travels in the
request metadata, so the quality service checks the caller's rights and its audit records name
the apply's change set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2
from google.protobuf.field_mask_pb2 import FieldMask

from datacompass.common.v1 import refs_pb2
from datacompass.quality.v1 import quality_rules_pb2 as pb
from datacompass.quality.v1 import quality_rules_pb2_grpc
from dckit.grpc_client import upstream_error

# What a quality rule refusal means for the file: the rule is wrong (or not the caller's to
# make), not that the quality service is down.
REFUSALS = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
)
UPDATED = ["config", "severity", "blocking", "enabled", "description"]


class GrpcQualityRules:
    def __init__(self, stub: quality_rules_pb2_grpc.QualityRulesServiceStub) -> None:
        self.stub = stub

    async def rules_of(self, object_urn: str) -> list[dict[str, Any]]:
        try:
            found = await self.stub.ListQualityRules(
                pb.ListQualityRulesRequest(object=refs_pb2.ObjectRef(urn=object_urn))
            )
        except grpc.aio.AioRpcError as exc:
            raise _error(exc) from exc
        return [
            {
                "id": r.id,
                "column": r.column,
                "rule": r.rule_type,
                "severity": r.severity,
                "blocking": r.blocking,
                "enabled": r.enabled,
                "description": r.description,
                "config": json_format.MessageToDict(r.config),
            }
            for r in found.items
        ]

    async def validate(
        self, object_urn: str, rules: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any] | str]:
        out: list[dict[str, Any] | str] = []
        for rule in rules:
            try:
                checked = await self.stub.CreateQualityRule(
                    _create(object_urn, rule, validate_only=True)
                )
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in REFUSALS:
                    raise _error(exc) from exc
                out.append(exc.details() or exc.code().name.lower())
                continue
            out.append({**rule, "config": json_format.MessageToDict(checked.config)})
        return out

    async def create(self, object_urn: str, rule: Mapping[str, Any]) -> int:
        try:
            made = await self.stub.CreateQualityRule(_create(object_urn, rule))
        except grpc.aio.AioRpcError as exc:
            raise _error(exc) from exc
        return int(made.id)

    async def update(self, rule_id: int, rule: Mapping[str, Any]) -> None:
        values = pb.QualityRule(
            config=_struct(rule["config"]),
            severity=rule["severity"],
            blocking=rule["blocking"],
            enabled=rule["enabled"],
            description=rule["description"],
        )
        try:
            await self.stub.UpdateQualityRule(
                pb.UpdateQualityRuleRequest(
                    id=rule_id, rule=values, update_mask=FieldMask(paths=UPDATED)
                )
            )
        except grpc.aio.AioRpcError as exc:
            raise _error(exc) from exc

    async def delete(self, rule_id: int) -> None:
        try:
            await self.stub.DeleteQualityRule(pb.DeleteQualityRuleRequest(id=rule_id))
        except grpc.aio.AioRpcError as exc:
            raise _error(exc) from exc


def _create(
    object_urn: str, rule: Mapping[str, Any], *, validate_only: bool = False
) -> pb.CreateQualityRuleRequest:
    return pb.CreateQualityRuleRequest(
        object=refs_pb2.ObjectRef(urn=object_urn),
        column=rule["column"],
        rule_type=rule["rule"],
        config=_struct(rule["config"]),
        severity=rule["severity"],
        blocking=rule["blocking"],
        enabled=rule["enabled"],
        description=rule["description"],
        validate_only=validate_only,
    )


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(dict(values))
    return out


def _error(exc: grpc.aio.AioRpcError) -> Exception:
    return upstream_error(exc, "quality", "the capsule is not known to the quality service")
