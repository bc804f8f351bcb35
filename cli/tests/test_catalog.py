"""`datacompass catalog ...` against a fake gateway."""

from cli_testkit import Cli, FakeGateway, api_error, make_column, make_object


def _objects(n: int) -> list[dict[str, object]]:
    return [make_object(f"t{i:02d}", id=i) for i in range(n)]


def test_search_sends_filters_and_renders_table(cli: Cli, gateway: FakeGateway) -> None:
    objects = [
        make_object(),
        make_object("order_view", object_type="view", tags=[], column_count=5),
    ]
    gateway.paged("GET", "/objects", objects, page_size=50)
    result = cli("catalog", "search", "order", "--source", "warehouse", "--type", "table")
    assert result.exit_code == 0, result.stderr
    [request] = gateway.requests
    assert request.path == "/api/v1/objects"
    assert request.query == {
        "q": ["order"],
        "source": ["warehouse"],
        "type": ["table"],
        "limit": ["50"],
    }
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines[0].split() == ["REF", "TYPE", "COLUMNS", "DESCRIPTION", "TAGS", "LAST", "SEEN"]
    assert lines[2].split() == [
        "warehouse.public.orders", "table", "2", "All", "orders", "sales", "2024-05-01", "12:00:01"
    ]  # fmt: skip
    assert lines[3].split()[:3] == ["warehouse.public.order_view", "view", "5"]
    assert result.stderr == ""


def test_search_without_query_sends_no_q_and_json_is_array(cli: Cli, gateway: FakeGateway) -> None:
    objects = _objects(3)
    gateway.paged("GET", "/objects", objects, page_size=50)
    assert cli.json("catalog", "search", "--include-deleted") == objects
    assert gateway.requests[0].query == {"include_deleted": ["true"], "limit": ["50"]}


def test_search_limit_stops_and_hints_more(cli: Cli, gateway: FakeGateway) -> None:
    objects = _objects(7)
    gateway.paged("GET", "/objects", objects, page_size=2)
    result = cli("catalog", "search", "--limit", "3")
    assert result.exit_code == 0, result.stderr
    assert "t00" in result.stdout and "t02" in result.stdout and "t03" not in result.stdout
    assert "showing the first 3 objects" in result.stderr
    assert [(r.param("limit"), r.param("cursor")) for r in gateway.requests] == [
        ("3", None),
        ("1", "2"),
    ]
    gateway.requests.clear()
    assert cli.json("catalog", "search", "--limit", "3") == objects[:3]


def test_search_all_follows_next_cursor(cli: Cli, gateway: FakeGateway) -> None:
    objects = _objects(7)
    gateway.paged("GET", "/objects", objects, page_size=3)
    assert cli.json("catalog", "search", "t", "--all") == objects
    assert [r.param("cursor") for r in gateway.requests] == [None, "3", "6"]
    assert all(r.param("q") == "t" for r in gateway.requests)

    gateway.requests.clear()
    result = cli("catalog", "search", "--all")
    assert result.exit_code == 0
    assert all(f"warehouse.public.t{i:02d}" in result.stdout for i in range(7))
    assert "showing the first" not in result.stderr
    assert len(gateway.requests) == 3


def test_search_no_results(cli: Cli, gateway: FakeGateway) -> None:
    gateway.paged("GET", "/objects", [], page_size=3)
    result = cli("catalog", "search", "zzz")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no matching objects" in result.stderr


def test_show_renders_details_and_columns(cli: Cli, gateway: FakeGateway) -> None:
    obj = make_object(
        columns=[
            make_column("id", 1, default_expression="nextval('orders_id_seq'::regclass)"),
            make_column("note", 2, data_type="text", nullable=True, comment="free text"),
        ]
    )
    gateway.route("GET", "/objects/warehouse.public.orders", (200, obj))
    result = cli("catalog", "show", "warehouse.public.orders")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "urn:dc:postgres:warehouse:public.orders" in out
    assert "warehouse (postgres)" in out
    assert "2024-04-30 08:20:00" in out
    lines = [line for line in out.splitlines() if line.strip()]
    header = lines.index(next(line for line in lines if line.split()[:2] == ["#", "NAME"]))
    assert lines[header].split() == ["#", "NAME", "TYPE", "NULLABLE", "DEFAULT", "COMMENT"]
    assert lines[header + 2].split() == [
        "1", "id", "integer", "no", "nextval('orders_id_seq'::regclass)", "-"
    ]  # fmt: skip
    assert lines[header + 3].split() == ["2", "note", "text", "yes", "-", "free", "text"]


def test_show_json_and_ref_quoting(cli: Cli, gateway: FakeGateway) -> None:
    urn = "urn:dc:postgres:warehouse:public.orders"
    obj = make_object(columns=[make_column("id", 1)])
    gateway.route("GET", f"/objects/{urn}", (200, obj))
    assert cli.json("catalog", "show", urn) == obj
    assert (
        gateway.requests[0].raw_path
        == "/api/v1/objects/urn%3Adc%3Apostgres%3Awarehouse%3Apublic.orders"
    )


def test_show_not_found(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route(
        "GET", "/objects/nope", (404, api_error("NOT_FOUND", "object 'nope' not found", "r-1"))
    )
    result = cli("--format", "json", "catalog", "show", "nope")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: object 'nope' not found (NOT_FOUND, request r-1)\n"
