"""Global options, authentication, errors and the installed `datacompass` script."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cli_testkit import CLEAN_ENV, Cli, FakeGateway, api_error, make_source

from datacompass_cli.client import ApiError, Client, api_base_url
from datacompass_cli.output import fmt_duration, fmt_time


@pytest.fixture
def sources(gateway: FakeGateway) -> list[dict[str, object]]:
    items = [make_source()]
    gateway.paged("GET", "/sources", items, page_size=50)
    return items


def test_token_from_env_and_bootstrap_key_fallback(
    cli: Cli, gateway: FakeGateway, sources: object
) -> None:
    cli.json("source", "list", env={"DATACOMPASS_TOKEN": "from-env"})
    cli.json("source", "list", env={"DATACOMPASS_BOOTSTRAP_ADMIN_KEY": "bootstrap"})
    cli.json(
        "source",
        "list",
        env={"DATACOMPASS_TOKEN": "primary", "DATACOMPASS_BOOTSTRAP_ADMIN_KEY": "bootstrap"},
    )
    cli.json("--token", "flag", "source", "list", env={"DATACOMPASS_TOKEN": "from-env"})
    cli.json("source", "list")
    assert [r.headers.get("authorization") for r in gateway.requests] == [
        "Bearer from-env",
        "Bearer bootstrap",
        "Bearer primary",
        "Bearer flag",
        None,
    ]
    assert all(r.headers["accept"] == "application/json" for r in gateway.requests)


def test_url_and_format_from_env(gateway: FakeGateway, sources: list[object]) -> None:
    from typer.testing import CliRunner

    from datacompass_cli.main import app

    result = CliRunner().invoke(
        app,
        ["source", "list"],
        env={**CLEAN_ENV, "DATACOMPASS_URL": gateway.url + "/", "DATACOMPASS_FORMAT": "json"},
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == sources
    assert gateway.requests[0].path == "/api/v1/sources"


def test_unauthenticated_shows_hint(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route(
        "POST", "/sources", (401, api_error("UNAUTHENTICATED", "missing bearer token", "r-7"))
    )
    result = cli("source", "add", "x")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: missing bearer token (UNAUTHENTICATED, request r-7)"
    )
    assert "DATACOMPASS_TOKEN" in result.stderr


def test_error_without_error_body_uses_request_id_header(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("GET", "/sources/x", (502, "<html>bad gateway</html>"))
    result = cli("source", "show", "x")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Bad Gateway: <html>bad gateway</html> (HTTP_502, ")
    assert "request req-1" in result.stderr


def test_wrong_url_path_is_reported(cli: Cli, gateway: FakeGateway) -> None:
    result = Cli(gateway.url + "/elsewhere")("source", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Not Found")
    assert gateway.requests[0].path == "/elsewhere/api/v1/sources"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_gateway(gateway: FakeGateway) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = Cli(url)("source", "list")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: gateway at {url} is unreachable")
    assert "Traceback" not in result.output


def test_usage_errors_exit_2(cli: Cli, gateway: FakeGateway) -> None:
    assert cli("--format", "yaml", "source", "list").exit_code == 2
    assert cli("source", "show").exit_code == 2
    assert cli("catalog", "search", "--limit", "0").exit_code == 2
    assert gateway.requests == []


def test_api_error_parsing_and_base_url() -> None:
    assert api_base_url("http://h:8000") == "http://h:8000/api/v1"
    assert api_base_url("http://h:8000/api/v1/") == "http://h:8000/api/v1"
    error = ApiError(404, "NOT_FOUND", "source 'x' not found", "abc")
    assert error.render() == "error: source 'x' not found (NOT_FOUND, request abc)"
    assert ApiError(500, "INTERNAL", "boom").render() == "error: boom (INTERNAL)"


def test_client_paginate_max_items(gateway: FakeGateway) -> None:
    items = [{"n": i} for i in range(5)]
    gateway.paged("GET", "/sources", items, page_size=2)
    with Client(gateway.url, token="t") as client:
        assert list(client.paginate("/sources")) == items
        assert list(client.paginate("/sources", page_size=2, max_items=3)) == items[:3]


def test_value_formatting() -> None:
    assert fmt_time("2024-05-01T12:34:56.789012Z") == "2024-05-01 12:34:56"
    assert fmt_time("2024-05-01T12:34:56+02:00") == "2024-05-01 12:34:56"
    assert fmt_time(None) == "-"
    assert fmt_duration(1234) == "1.23s"
    assert fmt_duration(61_000) == "61.0s"
    assert fmt_duration(None) == "-"


def test_installed_script_smoke(gateway: FakeGateway, sources: list[object]) -> None:
    script = Path(sys.executable).parent / "datacompass"
    assert script.exists(), "the cli package is not installed in this environment"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATACOMPASS_")}
    env["DATACOMPASS_TOKEN"] = "smoke"
    done = subprocess.run(
        [str(script), "--url", gateway.url, "--format", "json", "source", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == sources
    assert gateway.requests[0].headers["authorization"] == "Bearer smoke"
