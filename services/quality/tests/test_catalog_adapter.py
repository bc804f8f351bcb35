"""Quality's catalog adapter against the real catalog: the catalog's answers keep their
meaning (issue 20: an invalid object ref came back as UNAVAILABLE, a 503 for a caller's
mistake)."""

from __future__ import annotations

import pytest

from catalog_service.app import running as catalog_running
from catalog_service.config import CatalogSettings
from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.catalog.v1 import catalog_pb2_grpc
from dckit.clock import ManualClock
from dckit.crypto import SecretBox
from dckit.errors import InvalidArgument, NotFound, Unavailable
from dckit.grpc_client import channel
from devstack.embedded import free_port
from quality_service.adapters.catalog_grpc import GrpcCatalog
from quality_service.domain.objects import ObjectName


@pytest.mark.stack
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


class CountingStub:
    """The catalog's GetObject, counting calls (the cache's behaviour is the adapter's own)."""

    def __init__(self) -> None:
        self.calls = 0

    async def GetObject(self, request: cpb.GetObjectRequest) -> cpb.CatalogObject:
        self.calls += 1
        return cpb.CatalogObject(
            id=7, ref="demo.public.orders", urn="urn:dcs:obj:orders", name=f"v{self.calls}"
        )


async def test_reads_reuse_a_lookup_until_it_expires() -> None:
    stub = CountingStub()
    clock = ManualClock()
    adapter = GrpcCatalog(stub, cache_seconds=2.0, clock=clock)  # type: ignore[arg-type]
    first = await adapter.object(ObjectName(ref="demo.public.orders"), cached=True)
    # The same object by its URN and its id, and a ref's URN: no new call.
    assert (await adapter.object(ObjectName(urn="urn:dcs:obj:orders"), cached=True)) == first
    assert (await adapter.object(ObjectName(id=7), cached=True)) == first
    assert await adapter.urn(ObjectName(ref="demo.public.orders")) == "urn:dcs:obj:orders"
    assert stub.calls == 1
    clock.advance(1.9)
    assert (await adapter.object(ObjectName(id=7), cached=True)) == first
    clock.advance(0.1)
    assert (await adapter.object(ObjectName(id=7), cached=True)).name == "v2"
    assert stub.calls == 2


async def test_writes_ask_again_and_refresh_the_cache() -> None:
    stub = CountingStub()
    adapter = GrpcCatalog(stub, cache_seconds=60.0, clock=ManualClock())  # type: ignore[arg-type]
    await adapter.object(ObjectName(ref="demo.public.orders"), cached=True)
    fresh = await adapter.object(ObjectName(ref="demo.public.orders"))
    assert fresh.name == "v2" and stub.calls == 2
    assert (await adapter.object(ObjectName(id=7), cached=True)).name == "v2"
    assert stub.calls == 2


async def test_no_cache_asks_every_time() -> None:
    stub = CountingStub()
    adapter = GrpcCatalog(stub)  # type: ignore[arg-type]
    await adapter.object(ObjectName(ref="demo.public.orders"), cached=True)
    await adapter.object(ObjectName(ref="demo.public.orders"), cached=True)
    assert stub.calls == 2
