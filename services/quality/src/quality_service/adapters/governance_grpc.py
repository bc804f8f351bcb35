"""Masking of sample values by the governance service's masking rules (MaskValues)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from datacompass.governance.v1 import governance_pb2_grpc
from datacompass.governance.v1 import masking_pb2 as mpb
from dckit.errors import NotFound, Unavailable
from dckit.protoconv import object_ref as to_ref


class GrpcMasker:
    def __init__(self, stub: governance_pb2_grpc.GovernanceServiceStub) -> None:
        self.stub = stub

    async def mask(
        self, object_ref: str, *, role: str, columns: Mapping[str, Sequence[Any]]
    ) -> tuple[dict[str, list[Any]], set[str]]:
        request = mpb.MaskValuesRequest(ref=to_ref(object_ref), role=role)
        for column, values in columns.items():
            listed = struct_pb2.ListValue()
            listed.extend(list(values))
            request.columns.add(column=column, values=listed)
        try:
            resp = await self.stub.MaskValues(request)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFound(exc.details() or f"{object_ref} is not in the catalog") from exc
            # Fail closed: without the rules, sample values are not shown at all.
            raise Unavailable(
                "sample values are withheld: the governance service cannot apply masking rules "
                f"({exc.details() or exc.code().name})"
            ) from exc
        masked = set(resp.masked_columns)
        shown = {c.column: json_format.MessageToDict(c.values) for c in resp.columns}
        # Unmasked columns keep their own values: a protobuf round trip would turn integers
        # into floats.
        return {
            c: list(shown[c]) if c in masked and c in shown else list(v) for c, v in columns.items()
        }, masked
