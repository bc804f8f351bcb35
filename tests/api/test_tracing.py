"""One REST request is one trace: gateway HTTP → gRPC → catalog → SQL → NATS publish,
recorded with an in-memory span exporter (gateway and catalog share this process)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from api_testkit import Stack
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHOP = "shop_trace"  # this module's source (the `shop` fixture scans it)


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)  # instrumented code holds proxies that now delegate
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


def _trace_of(spans: tuple[ReadableSpan, ...], name_part: str) -> list[ReadableSpan]:
    root = next(s for s in spans if name_part in s.name and s.parent is None)
    return [s for s in spans if s.context.trace_id == root.context.trace_id]


async def test_patch_object_traces_through_every_hop(
    spans: InMemorySpanExporter, stack: Stack, client: httpx.AsyncClient, shop: dict[str, object]
) -> None:
    spans.clear()
    resp = await client.patch(f"/objects/{SHOP}.sales.orders", json={"description": "traced"})
    assert resp.status_code == 200, resp.text

    in_trace: list[ReadableSpan] = []
    for _ in range(100):  # the relay publishes right after commit; give it a moment
        in_trace = _trace_of(spans.get_finished_spans(), "PATCH /api/v1/objects")
        if any(s.name.startswith("publish ") for s in in_trace):
            break
        await asyncio.sleep(0.05)
    names = [s.name for s in in_trace]
    kinds = {s.kind for s in in_trace}
    assert any("UpdateObject" in n for n in names), names  # gRPC client and server spans
    assert trace.SpanKind.CLIENT in kinds and trace.SpanKind.SERVER in kinds
    assert any(s.attributes and s.attributes.get("db.system") == "postgresql" for s in in_trace)
    publish = [s for s in in_trace if s.name.startswith("publish ")]
    assert publish and publish[0].kind == trace.SpanKind.PRODUCER, names
