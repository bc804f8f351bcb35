"""Quality's catalog adapter against the real catalog: the catalog's answers keep their
meaning (issue 20: an invalid object ref came back as UNAVAILABLE, a 503 for a caller's
mistake)."""

from __future__ import annotations

import pytest

from catalog_service.app import running as catalog_running
from catalog_service.config import CatalogSettings
from datacompass.catalog.v1 import catalog_pb2_grpc
from dckit.crypto import SecretBox
from dckit.errors import InvalidArgument, NotFound, Unavailable
from dckit.grpc_client import channel
from devstack.embedded import free_port
from quality_service.adapters.catalog_grpc import GrpcCatalog
from quality_service.domain.objects import ObjectName

pytestmark = pytest.mark.stack


async def test_catalog_errors_keep_their_meaning(
    service_database: str, nats_url: str, nats_stream: str, event_subject_prefix: str
) -> None:
    settings = CatalogSettings(
        database_url=service_database,
        nats_url=nats_url,
        nats_stream=nats_stream,
        event_subject_prefix=event_subject_prefix,
        metrics_port=0,
        grpc_port=free_port(),
        shutdown_grace_seconds=2,
        encryption_key=SecretBox.generate_key(),
    )
    async with catalog_running(settings) as catalog:
        chan = channel(f"127.0.0.1:{catalog.grpc.bound_port}", max_attempts=1)
        try:
            adapter = GrpcCatalog(catalog_pb2_grpc.CatalogServiceStub(chan))
            with pytest.raises(InvalidArgument):
                await adapter.object(ObjectName(ref="just-a-name"))
            with pytest.raises(InvalidArgument):
                await adapter.object(ObjectName(urn="urn:dcs:bad"))
            with pytest.raises(NotFound):
                await adapter.object(ObjectName(ref="nowhere.public.nothing"))
        finally:
            await chan.close()
    # The catalog gone: that one is UNAVAILABLE.
    chan = channel(f"127.0.0.1:{free_port()}", max_attempts=1, default_timeout=2)
    try:
        with pytest.raises(Unavailable):
            await GrpcCatalog(catalog_pb2_grpc.CatalogServiceStub(chan)).object(
                ObjectName(ref="a.b.c")
            )
    finally:
        await chan.close()
