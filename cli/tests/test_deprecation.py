"""`datacompass deprecation create|list|show|withdraw` against a fake gateway."""

import json
from typing import Any

from cli_testkit import Cli, FakeGateway, Recorded, api_error


def make_deprecation(ref: str = "warehouse.public.orders", **overrides: Any) -> dict[str, Any]:
    schema, name = ref.split(".")[1:]
    dep: dict[str, Any] = {
        "id": 3,
        "object_urn": f"urn:dcs:postgres:table:warehouse.{schema}:{name}",
        "object_ref": ref,
        "deadline": "2031-06-30",
        "replacement_urn": "urn:dcs:postgres:table:warehouse.public:orders_v2",
        "replacement_ref": "warehouse.public.orders_v2",
        "message": "use orders_v2",
        "status": "active",
        "days_left": 12,
        "last_notice_days": None,
        "created_by": "admin",
        "created_at": "2031-06-01T10:00:00Z",
        "updated_at": "2031-06-01T10:00:00Z",
        "withdrawn_by": None,
        "withdrawn_at": None,
    }
    dep.update(overrides)
    return dep


def test_create_sends_the_body(cli: Cli, gateway: FakeGateway) -> None:
    def created(request: Recorded) -> tuple[int, Any]:
        return 201, make_deprecation()

    gateway.route("POST", "/deprecations", created)
    result = cli(
        "deprecation",
        "create",
        "warehouse.public.orders",
        "--deadline",
        "2031-06-30",
        "--replacement",
        "warehouse.public.orders_v2",
        "--message",
        "use orders_v2",
    )
    assert result.exit_code == 0, result.stderr
    (request,) = gateway.calls("POST", "/api/v1/deprecations")
    assert request.body == {
        "ref": "warehouse.public.orders",
        "deadline": "2031-06-30",
        "replacement": "warehouse.public.orders_v2",
        "message": "use orders_v2",
    }
    assert "deprecated warehouse.public.orders: deadline 2031-06-30 (12 days left)" in (
        result.stdout
    )
    assert "replaced by warehouse.public.orders_v2" in result.stdout

    # No replacement: none sent. A malformed date is refused before any request.
    cli("deprecation", "create", "warehouse.public.orders", "--deadline", "2031-06-30")
    assert "replacement" not in gateway.requests[-1].body
    count = len(gateway.requests)
    result = cli("deprecation", "create", "warehouse.public.orders", "--deadline", "30/06/2031")
    assert result.exit_code == 2 and len(gateway.requests) == count


def test_create_reports_api_errors(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route(
        "POST",
        "/deprecations",
        (400, api_error("INVALID_ARGUMENT", "deadline 2020-01-01 is in the past")),
    )
    result = cli("deprecation", "create", "w.p.o", "--deadline", "2020-01-01")
    assert result.exit_code == 1 and "deadline 2020-01-01 is in the past" in result.stderr


def test_list_table_json_and_status_filter(cli: Cli, gateway: FakeGateway) -> None:
    items = [
        make_deprecation(),
        make_deprecation("warehouse.public.customers", id=4, status="deadline_passed",
                         days_left=-2, replacement_ref=None, replacement_urn=None),
    ]  # fmt: skip
    gateway.paged("GET", "/deprecations", items, page_size=1)
    result = cli("deprecation", "list")
    assert result.exit_code == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines() if line.strip()]
    assert lines[0][:4] == ["OBJECT", "DEADLINE", "DAYS", "LEFT"]
    assert lines[2][:4] == ["warehouse.public.orders", "2031-06-30", "12", "active"]
    assert lines[3][:4] == ["warehouse.public.customers", "2031-06-30", "-2", "deadline_passed"]
    assert len(gateway.calls("GET", "/api/v1/deprecations")) == 2  # followed the cursor

    result = cli("deprecation", "list", "--format", "json", "--status", "active")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == items
    assert gateway.requests[-1].param("status") == "active"
    assert cli("deprecation", "list", "--status", "bogus").exit_code == 2


def test_show_and_withdraw(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route(
        "GET", "/deprecations/warehouse.public.orders", (200, make_deprecation(last_notice_days=7))
    )
    result = cli("deprecation", "show", "warehouse.public.orders")
    assert result.exit_code == 0, result.stderr
    assert "2031-06-30" in result.stdout and "7 days before the deadline" in result.stdout
    assert "warehouse.public.orders_v2" in result.stdout
    assert cli.json("deprecation", "show", "warehouse.public.orders")["id"] == 3

    gateway.route(
        "GET",
        "/deprecations/x.y.z",
        (404, api_error("NOT_FOUND", "object x.y.z not found")),
    )
    result = cli("deprecation", "show", "x.y.z")
    assert result.exit_code == 1 and "object x.y.z not found" in result.stderr

    withdrawn = make_deprecation(status="withdrawn", withdrawn_at="2031-06-02T00:00:00Z")
    gateway.route("DELETE", "/deprecations/warehouse.public.orders", (200, withdrawn))
    result = cli("deprecation", "withdraw", "warehouse.public.orders")
    assert result.exit_code == 0 and "withdrew the deprecation" in result.stdout
