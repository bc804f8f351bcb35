"""Service-to-service trust: the catalog answers only calls that carry the deployment's
internal token (`x-dc-internal-token`); gRPC health stays open for probes."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from catalog_service.app import CatalogService
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.catalog.v1 import catalog_pb2_grpc
from dckit.grpc_client import channel


async def _code(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call  # type: ignore[misc]
    return info.value.code(), info.value.details() or ""


def _address(service: CatalogService) -> str:
    return f"127.0.0.1:{service.grpc.bound_port}"


async def test_calls_without_the_internal_token_are_rejected(
    service: CatalogService, stub: catalog_pb2_grpc.CatalogServiceStub
) -> None:
    # With the token (dckit's channel adds it), the same call is answered.
    assert list((await stub.ListSources(pb.ListSourcesRequest())).items) == []

    for token in ("wrong-token", ""):
        chan = grpc.aio.insecure_channel(_address(service))
        raw = catalog_pb2_grpc.CatalogServiceStub(chan)
        metadata = [("x-dc-internal-token", token)] if token else []
        try:
            for call in (
                raw.ListSources(pb.ListSourcesRequest(), metadata=metadata, timeout=5),
                raw.DeleteSource(pb.DeleteSourceRequest(name="x"), metadata=metadata, timeout=5),
                raw.GetSourceConnection(
                    pb.GetSourceConnectionRequest(name="x"), metadata=metadata, timeout=5
                ),
            ):
                code, details = await _code(call)
                assert code == grpc.StatusCode.UNAUTHENTICATED, token
                assert "internal token" in details
        finally:
            await chan.close()

    # Another deployment's token (dckit's channel with an explicit one) is just as wrong.
    async with channel(_address(service), token="another-deployments-token") as chan:
        other = catalog_pb2_grpc.CatalogServiceStub(chan)
        code, _ = await _code(other.ListSources(pb.ListSourcesRequest(), timeout=5))
        assert code == grpc.StatusCode.UNAUTHENTICATED


async def test_health_check_needs_no_internal_token(service: CatalogService) -> None:
    chan = grpc.aio.insecure_channel(_address(service))
    try:
        health = health_pb2_grpc.HealthStub(chan)
        response = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    finally:
        await chan.close()
    assert response.status == health_pb2.HealthCheckResponse.SERVING
