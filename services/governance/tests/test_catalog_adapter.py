"""Governance's catalog adapter reuses an object's lookup for a few seconds, whichever name
(ref, URN, id) it is asked by."""

from __future__ import annotations

from datacompass.catalog.v1 import catalog_pb2 as cpb
from dckit.clock import ManualClock
from governance_service.adapters.catalog_grpc import GrpcCatalog


class CountingStub:
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
    catalog = GrpcCatalog(stub, cache_seconds=2.0, clock=clock)  # type: ignore[arg-type]
    assert (await catalog.get("demo.public.orders", cached=True)).name == "v1"
    assert (await catalog.get("urn:dcs:obj:orders", cached=True)).name == "v1"
    assert (await catalog.get(" 7 ", cached=True)).name == "v1"
    assert stub.calls == 1
    clock.advance(1.9)
    assert (await catalog.get("demo.public.orders", cached=True)).name == "v1"
    clock.advance(0.1)
    assert (await catalog.get("demo.public.orders", cached=True)).name == "v2"
    assert stub.calls == 2


async def test_writes_ask_again_and_forget_drops_every_name() -> None:
    stub = CountingStub()
    catalog = GrpcCatalog(stub, cache_seconds=60.0, clock=ManualClock())  # type: ignore[arg-type]
    await catalog.get("demo.public.orders", cached=True)
    assert (await catalog.get("demo.public.orders")).name == "v2"  # a write asks again
    catalog.forget("urn:dcs:obj:orders")  # a change event names the URN
    assert len(catalog.cache) == 0
    assert (await catalog.get("7", cached=True)).name == "v3"
    catalog.forget()
    assert (await catalog.get("demo.public.orders", cached=True)).name == "v4"
    assert stub.calls == 4


async def test_no_cache_asks_every_time() -> None:
    stub = CountingStub()
    catalog = GrpcCatalog(stub)  # type: ignore[arg-type]
    await catalog.get("demo.public.orders", cached=True)
    await catalog.get("demo.public.orders", cached=True)
    assert stub.calls == 2
