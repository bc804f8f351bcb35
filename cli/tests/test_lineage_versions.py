"""`datacompass catalog lineage|versions|diff` and `source scan --watch|cancel-scan` against a
fake gateway."""

from typing import Any

from cli_testkit import Cli, FakeGateway, api_error, make_scan

EDGES: list[dict[str, Any]] = [
    {
        "id": 1,
        "upstream_urn": "urn:dcs:postgres:table:demo.public:orders",
        "upstream_ref": "demo.public.orders",
        "downstream_urn": "urn:dcs:postgres:view:demo.public:summary",
        "downstream_ref": "demo.public.summary",
        "edge_type": "flows_to",
        "upstream_column": None,
        "downstream_column": None,
        "origin": "view",
        "confidence": 1.0,
        "depth": 1,
        "created_by": "system",
    },
    {
        "id": 2,
        "upstream_urn": "urn:dcs:postgres:table:demo.public:orders",
        "upstream_ref": "demo.public.orders",
        "downstream_urn": "urn:dcs:postgres:view:demo.public:summary",
        "downstream_ref": "demo.public.summary",
        "edge_type": "derived_from",
        "upstream_column": "order_total",
        "downstream_column": "total_spent",
        "origin": "view",
        "confidence": 1.0,
        "depth": 1,
        "created_by": "system",
    },
]


def lineage_page(edges: list[dict[str, Any]], cursor: str | None = None) -> dict[str, Any]:
    return {
        "urn": "urn:dcs:postgres:view:demo.public:summary",
        "edges": edges,
        "view_parse": {"confidence": 0.5, "error": "column x: oops", "unresolved": ["a.b"]},
        "next_cursor": cursor,
    }


def test_lineage_follows_pages_and_filters_columns(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route(
        "GET",
        "/objects/demo.public.summary/lineage",
        [(200, lineage_page(EDGES[:1], "c1")), (200, lineage_page(EDGES[1:]))],
    )
    result = cli("catalog", "lineage", "demo.public.summary", "-d", "upstream", "--depth", "2")
    assert result.exit_code == 0, result.stderr
    first, second = gateway.requests
    assert first.query == {"direction": ["upstream"], "depth": ["2"], "limit": ["500"]}
    assert second.param("cursor") == "c1"
    assert "demo.public.orders" in result.stdout and "flows_to" in result.stdout
    assert "total_spent" not in result.stdout  # table edges only by default
    assert "confidence 0.50: column x: oops; not in the catalog: a.b" in result.stderr

    gateway.route("GET", "/objects/demo.public.summary/lineage", (200, lineage_page(EDGES)))
    out = cli.json("catalog", "lineage", "demo.public.summary", "--columns")
    assert [e["id"] for e in out["edges"]] == [1, 2]


def test_lineage_errors_exit_1(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route(
        "GET",
        "/objects/x.y.z/lineage",
        (404, api_error("NOT_FOUND", "object x.y.z not found")),
    )
    result = cli("catalog", "lineage", "x.y.z")
    assert result.exit_code == 1 and "object x.y.z not found" in result.stderr
    result = cli("catalog", "lineage", "x.y.z", "--depth", "11")
    assert result.exit_code == 2  # rejected before any request


def test_versions_and_diff(cli: Cli, gateway: FakeGateway) -> None:
    versions = [
        {
            "version_number": 2,
            "version": "2.0.0",
            "change_type": "schema_change",
            "breaking": True,
            "change_summary": "column_removed name",
            "created_at": "2026-01-02T00:00:00Z",
        },
        {
            "version_number": 1,
            "version": "1.0.0",
            "change_type": "created",
            "breaking": False,
            "change_summary": "",
            "created_at": "2026-01-01T00:00:00Z",
        },
    ]
    gateway.paged("GET", "/capsules/demo.public.customers/versions", versions, page_size=50)
    result = cli("catalog", "versions", "demo.public.customers")
    assert result.exit_code == 0, result.stderr
    assert "2.0.0" in result.stdout and "BREAKING" in result.stdout

    diff = {
        "from_version": "1.0.0",
        "to_version": "2.0.0",
        "breaking": True,
        "bump": "major",
        "changes": [
            {"kind": "column_removed", "target": "name", "detail": "text", "breaking": True}
        ],
    }
    gateway.route("GET", "/capsules/demo.public.customers/diff", (200, diff))
    result = cli("catalog", "diff", "demo.public.customers", "1")
    assert result.exit_code == 0, result.stderr
    assert "1.0.0 -> 2.0.0: BREAKING (major bump)" in result.stdout
    assert "column_removed" in result.stdout
    assert gateway.requests[-1].query == {"from": ["1"]}
    assert cli.json("catalog", "diff", "demo.public.customers", "1", "2") == diff
    assert gateway.requests[-1].query == {"from": ["1"], "to": ["2"]}


def test_scan_watch_shows_progress_and_cancelled_exits_1(cli: Cli, gateway: FakeGateway) -> None:
    running = make_scan(status="running", finished_at=None, duration_ms=None)
    gateway.route("POST", "/sources/warehouse/scans", (202, running))
    gateway.route(
        "GET",
        "/scans/7",
        [
            (200, {**running, "objects_total": 10, "objects_done": 4}),
            (200, make_scan(objects_total=10, objects_done=10)),
        ],
    )
    result = cli("source", "scan", "warehouse", "--watch", "--no-wait", "--poll-interval", "0")
    assert result.exit_code == 0, result.stderr
    assert "10/10" in result.stderr
    assert len(gateway.calls("GET", "/api/v1/scans/7")) == 2

    cancelled = make_scan(status="cancelled", error="cancelled on request")
    gateway.route("GET", "/scans/7", [(200, cancelled)])
    result = cli("source", "scan", "warehouse", "--poll-interval", "0")
    assert result.exit_code == 1 and "cancelled on request" in result.stderr


def test_cancel_scan(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("POST", "/scans/7/cancel", (202, make_scan(status="running")))
    result = cli("source", "cancel-scan", "7")
    assert result.exit_code == 0 and "cancellation requested" in result.stdout
    gateway.route(
        "POST", "/scans/8/cancel", (400, api_error("FAILED_PRECONDITION", "scan 8 is not running"))
    )
    result = cli("source", "cancel-scan", "8")
    assert result.exit_code == 1 and "scan 8 is not running" in result.stderr
