"""`datacompass scheduler start`: the roadmap's foreground daemon is a service here; the command
says so, names the real commands, and reports whether the stack's scheduler runs."""

import json
import socket

from cli_testkit import Cli, FakeGateway

from datacompass_cli.commands.scheduler import HOW_TO_START

HEALTHY = {"status": "ok", "checks": {"scheduler": {"status": "ok"}, "catalog": {"status": "ok"}}}
DOWN = {
    "status": "degraded",
    "checks": {"scheduler": {"status": "error", "error": "connection refused"}},
}


def test_running_scheduler_means_nothing_to_start(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("GET", "/health", (200, HEALTHY))
    result = cli("scheduler", "start")
    assert result.exit_code == 0, result.stderr
    assert "already running" in result.stdout
    assert "python -m scheduler_service serve" in result.stdout
    assert "make run" in result.stdout
    assert [r.method for r in gateway.requests] == ["GET"]  # asks, never starts or changes


def test_failing_scheduler_check_exits_1_naming_the_real_commands(
    cli: Cli, gateway: FakeGateway
) -> None:
    gateway.route("GET", "/health", (503, DOWN))
    result = cli("scheduler", "start")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: the scheduler is not running at ")
    assert "connection refused" in result.stderr
    assert "python -m scheduler_service serve" in result.stderr


def test_json_reports_the_check(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("GET", "/health", (503, DOWN))
    result = cli("scheduler", "start", "-o", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "running": False,
        "url": gateway.url,
        "check": DOWN["checks"]["scheduler"],
        "how_to_start": HOW_TO_START,
    }


def test_unreachable_gateway(cli: Cli) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connection refused
        result = cli("--url", f"http://127.0.0.1:{port}", "scheduler", "start")
    assert result.exit_code == 1
    assert "is unreachable" in result.stderr
    assert "make run" in result.stderr
