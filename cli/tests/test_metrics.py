"""`datacompass metrics` against a real Prometheus exposition endpoint."""

import json
import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from cli_testkit import Cli, FakeGateway
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    registry = CollectorRegistry()
    requests = Counter(
        "dc_gateway_http_requests_total", "x", ["route", "status"], registry=registry
    )
    requests.labels("/api/v1/sources", "200").inc(3)
    requests.labels("/api/v1/sources", "500").inc()
    Gauge("dc_outbox_pending", "x", ["service"], registry=registry).labels("catalog").set(7)
    Histogram("dc_catalog_scan_duration_seconds", "x", registry=registry).observe(0.25)
    Gauge("python_like_runtime_metric", "x", registry=registry).set(1)
    server: WSGIServer = make_server("127.0.0.1", 0, make_wsgi_app(registry), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/metrics"
    finally:
        server.shutdown()
        server.server_close()


def test_json_lists_our_samples_without_buckets(cli: Cli, endpoint: str) -> None:
    result = cli("--format", "json", "metrics", "--endpoint", endpoint)
    assert result.exit_code == 0, result.output
    samples = json.loads(result.stdout)
    by_key = {(s["name"], tuple(sorted(s["labels"].items()))): s["value"] for s in samples}
    ok = ("dc_gateway_http_requests_total", (("route", "/api/v1/sources"), ("status", "200")))
    assert by_key[ok] == 3.0
    assert by_key[("dc_outbox_pending", (("service", "catalog"),))] == 7.0
    assert by_key[("dc_catalog_scan_duration_seconds_count", ())] == 1.0
    names = {s["name"] for s in samples}
    assert not any(n.endswith(("_bucket", "_created")) for n in names)
    assert "python_like_runtime_metric" not in names


def test_filter_and_all(cli: Cli, endpoint: str) -> None:
    only = json.loads(cli("-o", "json", "metrics", "outbox", "--endpoint", endpoint).stdout)
    assert [s["name"] for s in only] == ["dc_outbox_pending"]
    everything = cli("-o", "json", "metrics", "--all", "--endpoint", endpoint).stdout
    assert "python_like_runtime_metric" in {s["name"] for s in json.loads(everything)}


def test_table_is_readable(cli: Cli, endpoint: str) -> None:
    result = cli("metrics", "requests", "--endpoint", endpoint)
    assert result.exit_code == 0
    assert "dc_gateway_http_requests_total" in result.stdout
    assert "status=500" in result.stdout


def test_not_prometheus_text_is_a_clear_error(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("GET", "/sources", (200, {"items": [], "next_cursor": None}))
    result = cli("metrics", "--endpoint", f"{gateway.url}/api/v1/sources")
    assert result.exit_code == 1
    assert "not Prometheus text format" in result.stderr


def test_gateway_metrics_path_is_used_by_default(cli: Cli, gateway: FakeGateway) -> None:
    result = cli("metrics")
    assert result.exit_code == 1  # the fake gateway has no /metrics
    assert [r.path for r in gateway.requests] == ["/api/v1/metrics"]
