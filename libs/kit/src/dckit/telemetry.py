"""OpenTelemetry tracing setup and the Prometheus metrics endpoint."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import start_http_server


def setup_tracing(service: str, otlp_endpoint: str = "") -> None:
    """Always create real spans (so logs carry trace ids); export only when configured."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    trace.set_tracer_provider(provider)


def start_metrics_server(port: int, host: str = "127.0.0.1") -> None:
    if port:
        start_http_server(port, addr=host)
