"""`datacompass source ...` against a fake gateway: what is sent and how it is rendered."""

from cli_testkit import Cli, FakeGateway, api_error, make_scan, make_source

SECRET = "s3cr3t-pa55"


def test_add_sends_contract_body_and_renders_table(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("POST", "/sources", (201, make_source()))
    result = cli(
        "--token", "tok-1",
        "source", "add", "warehouse",
        "--type", "postgres",
        "--host", "db.internal", "--port", "5433", "--database", "dwh",
        "--username", "reader", "--password", SECRET,
        "--schema", "public", "--schema", "sales",
        "--description", "Main warehouse",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    [request] = gateway.requests
    assert request.method == "POST"
    assert request.path == "/api/v1/sources"
    assert request.headers["authorization"] == "Bearer tok-1"
    assert request.body == {
        "name": "warehouse",
        "source_type": "postgres",
        "description": "Main warehouse",
        "connection": {
            "host": "db.internal",
            "port": 5433,
            "database": "dwh",
            "username": "reader",
            "password": SECRET,
            "schemas": ["public", "sales"],
        },
    }
    out = result.stdout
    assert "warehouse" in out
    assert "postgres" in out
    assert "database, host, password, port, schemas, username" in out
    assert "2024-04-30 08:15:00" in out  # dates shortened
    assert "succeeded at 2024-05-01 12:00:00 in 2.50s (12 objects)" in out
    assert SECRET not in out + result.stderr


def test_add_password_from_env_and_stdin_is_never_printed(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("POST", "/sources", (201, make_source()))
    by_env = cli(
        "source", "add", "warehouse", "--host", "h", "--password-env", "PG_PW",
        env={"PG_PW": SECRET},
    )  # fmt: skip
    by_stdin = cli("source", "add", "warehouse", "--password-stdin", input=SECRET + "\n")
    as_json = cli("--format", "json", "source", "add", "warehouse", "--password", SECRET)
    for result in (by_env, by_stdin, as_json):
        assert result.exit_code == 0, result.stderr
        assert SECRET not in result.output
    assert [r.body["connection"]["password"] for r in gateway.requests] == [SECRET] * 3
    assert gateway.requests[0].body["connection"] == {"host": "h", "password": SECRET}


def test_add_password_options_are_exclusive_and_env_must_exist(cli: Cli) -> None:
    both = cli("source", "add", "w", "--password", "x", "--password-env", "PG_PW")
    assert both.exit_code == 2
    assert "use only one of --password, --password-env" in both.stderr
    missing = cli("source", "add", "w", "--password-env", "NOPE_NOT_SET")
    assert missing.exit_code == 2
    assert "NOPE_NOT_SET" in missing.stderr


def test_add_ask_password_prompts_hidden(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("POST", "/sources", (201, make_source()))
    result = cli("source", "add", "warehouse", "--ask-password", input=SECRET + "\n")
    assert result.exit_code == 0, result.stderr
    assert gateway.requests[0].body["connection"] == {"password": SECRET}
    assert SECRET not in result.output
    assert "Password" in result.stderr


def test_add_json_is_exactly_the_api_object(cli: Cli, gateway: FakeGateway) -> None:
    source = make_source(description=None, last_scan=None)
    gateway.route("POST", "/sources", (201, source))
    assert cli.json("source", "add", "warehouse", "--host", "h") == source
    assert "description" not in gateway.requests[0].body


def test_add_conflict_error_goes_to_stderr(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route(
        "POST",
        "/sources",
        (409, api_error("ALREADY_EXISTS", "source 'warehouse' already exists", "rid-9")),
    )
    result = cli("source", "add", "warehouse", "--password", SECRET)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: source 'warehouse' already exists (ALREADY_EXISTS, request rid-9)\n"
    )


def test_list_table_and_json_follow_pagination(cli: Cli, gateway: FakeGateway) -> None:
    sources = [
        make_source("warehouse"),
        make_source("crm", description="[bold]CRM[/bold]", last_scan=None),
        make_source("billing", last_scan=make_scan(status="failed", error="boom")),
    ]
    gateway.paged("GET", "/sources", sources, page_size=2)
    result = cli("source", "list")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines[0].split() == ["NAME", "TYPE", "DESCRIPTION", "LAST", "SCAN", "SCANNED", "AT",
                                "OBJECTS"]  # fmt: skip
    rows = {line.split()[0]: line for line in lines[2:] if line.strip()}
    assert set(rows) == {"warehouse", "crm", "billing"}
    assert "succeeded" in rows["warehouse"] and "2024-05-01 12:00:00" in rows["warehouse"]
    assert "[bold]CRM[/bold]" in rows["crm"]  # API text is not interpreted as rich markup
    assert "failed" in rows["billing"]
    assert [r.param("cursor") for r in gateway.requests] == [None, "2"]

    gateway.requests.clear()
    assert cli.json("source", "list") == sources
    assert len(gateway.requests) == 2


def test_list_empty(cli: Cli, gateway: FakeGateway) -> None:
    gateway.paged("GET", "/sources", [], page_size=2)
    result = cli("source", "list")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no sources" in result.stderr
    assert cli.json("source", "list") == []


def test_show_table_and_json(cli: Cli, gateway: FakeGateway) -> None:
    source = make_source("my source", last_scan=None)
    gateway.route("GET", "/sources/my source", (200, source))
    result = cli("source", "show", "my source")
    assert result.exit_code == 0, result.stderr
    assert gateway.requests[0].raw_path == "/api/v1/sources/my%20source"
    assert "my source" in result.stdout
    assert "never" in result.stdout  # last scan
    assert cli.json("source", "show", "my source") == source


def test_show_not_found(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("GET", "/sources/x", (404, api_error("NOT_FOUND", "source 'x' not found")))
    result = cli("source", "show", "x")
    assert result.exit_code == 1
    assert result.stdout == ""
    # request id from the error body (the fake fills in the X-Request-ID it generated)
    assert result.stderr.startswith("error: source 'x' not found (NOT_FOUND, request req-")


def test_update_sends_only_given_keys(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("PATCH", "/sources/warehouse", (200, make_source(description="new")))
    result = cli(
        "source", "update", "warehouse", "--description", "new", "--host", "db2",
        "--password-env", "PG_PW", env={"PG_PW": SECRET},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert gateway.requests[0].body == {
        "description": "new",
        "connection": {"host": "db2", "password": SECRET},
    }
    assert "new" in result.stdout
    assert SECRET not in result.output

    gateway.requests.clear()
    assert cli.json("source", "update", "warehouse", "--port", "6543")["description"] == "new"
    assert gateway.requests[0].body == {"connection": {"port": 6543}}


def test_update_without_changes_is_a_usage_error(cli: Cli, gateway: FakeGateway) -> None:
    result = cli("source", "update", "warehouse")
    assert result.exit_code == 2
    assert "nothing to update" in result.stderr
    assert gateway.requests == []


def test_delete_asks_for_confirmation(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("DELETE", "/sources/warehouse", (200, {"objects_deleted": 12}))

    declined = cli("source", "delete", "warehouse", input="n\n")
    assert declined.exit_code == 1
    assert "Delete source 'warehouse' and all its catalog objects?" in declined.stderr
    assert gateway.requests == []

    no_tty = cli("source", "delete", "warehouse")  # no answer at all: abort, nothing deleted
    assert no_tty.exit_code == 1
    assert gateway.requests == []

    confirmed = cli("source", "delete", "warehouse", input="y\n")
    assert confirmed.exit_code == 0, confirmed.stderr
    assert confirmed.stdout.endswith("deleted source 'warehouse' (12 catalog objects removed)\n")
    assert [(r.method, r.path) for r in gateway.requests] == [
        ("DELETE", "/api/v1/sources/warehouse")
    ]


def test_delete_yes_skips_prompt_and_json(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("DELETE", "/sources/warehouse", (200, {"objects_deleted": 3}))
    result = cli("source", "delete", "warehouse", "--yes")
    assert result.exit_code == 0
    assert "Delete source" not in result.output
    assert cli.json("source", "delete", "warehouse", "-y") == {"objects_deleted": 3}
    assert len(gateway.calls("DELETE")) == 2


def test_scan_wait_polls_until_succeeded(cli: Cli, gateway: FakeGateway) -> None:
    running = make_scan(
        status="running", finished_at=None, duration_ms=None, objects_found=0, columns_found=0
    )
    done = make_scan()
    gateway.route("POST", "/sources/warehouse/scans", (202, running))
    gateway.route(
        "GET",
        "/scans/7",
        [(200, running), (200, {**running, "objects_found": 5}), (200, done)],
    )
    result = cli("source", "scan", "warehouse", "--poll-interval", "0")
    assert result.exit_code == 0, result.stderr
    assert [(r.method, r.path) for r in gateway.requests] == [
        ("POST", "/api/v1/sources/warehouse/scans"),
        ("GET", "/api/v1/scans/7"),
        ("GET", "/api/v1/scans/7"),
        ("GET", "/api/v1/scans/7"),
    ]
    out = result.stdout
    assert "succeeded" in out
    assert "2.50s" in out  # duration in seconds
    assert "87" in out  # columns found
    assert "scan 7 succeeded in 2.50s" in result.stderr

    gateway.route("GET", "/scans/7", [(200, running), (200, done)])
    assert cli.json("source", "scan", "warehouse", "--wait", "--poll-interval", "0") == done


def test_scan_wait_failed_exits_1_with_error(cli: Cli, gateway: FakeGateway) -> None:
    running = make_scan(status="running", finished_at=None, duration_ms=None)
    failed = make_scan(status="failed", error="connection refused by db.internal:5432")
    gateway.route("POST", "/sources/warehouse/scans", (202, running))
    gateway.route("GET", "/scans/7", [(200, running), (200, failed)])
    result = cli("--format", "json", "source", "scan", "warehouse", "--poll-interval", "0")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(
        "error: scan 7 of source 'warehouse' failed: connection refused by db.internal:5432"
    )
    import json

    assert json.loads(result.stdout) == failed


def test_scan_no_wait_returns_running_run(cli: Cli, gateway: FakeGateway) -> None:
    running = make_scan(status="running", finished_at=None, duration_ms=None)
    gateway.route("POST", "/sources/warehouse/scans", (202, running))
    result = cli("source", "scan", "warehouse", "--no-wait")
    assert result.exit_code == 0, result.stderr
    assert "running" in result.stdout
    assert [r.method for r in gateway.requests] == ["POST"]
    assert cli.json("source", "scan", "warehouse", "--no-wait") == running


def test_scans_history_table_json_and_limit(cli: Cli, gateway: FakeGateway) -> None:
    runs = [
        make_scan(id=9, status="failed", error="timeout", duration_ms=10_000),
        make_scan(id=8),
        make_scan(id=7, triggered_by="scheduler"),
    ]
    gateway.paged("GET", "/sources/warehouse/scans", runs, page_size=2)
    result = cli("source", "scans", "warehouse")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines[0].split()[:4] == ["ID", "STATUS", "STARTED", "DURATION"]
    assert [line.split()[0] for line in lines[2:]] == ["9", "8", "7"]
    assert "10.0s" in lines[2] and "timeout" in lines[2]
    assert "scheduler" in lines[4]

    assert cli.json("source", "scans", "warehouse", "--all") == runs
    gateway.requests.clear()
    assert cli.json("source", "scans", "warehouse", "--limit", "1") == runs[:1]
    assert [r.param("limit") for r in gateway.requests] == ["1"]
