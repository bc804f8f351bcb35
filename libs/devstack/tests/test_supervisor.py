"""Supervisor start-up failure paths that need no gateway: clear errors, nothing left behind."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from cryptography.fernet import Fernet

from devstack.__main__ import main
from devstack.embedded import free_port
from devstack.processes import ServiceSpec
from devstack.state import StateDir
from devstack.supervisor import Config, Supervisor, SupervisorError

pytestmark = [pytest.mark.timeout(60), pytest.mark.stack]


@pytest.fixture
def listening() -> Iterator[int]:
    """A port something is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _config(tmp_path: Path, **overrides: object) -> Config:
    values: dict[str, object] = {
        "state": StateDir(tmp_path / "dc"),
        "pg_port": free_port(),
        "nats_port": free_port(),
        "backend_ports": {"catalog": (free_port(), free_port())},
        "gateway_port": free_port(),
        "ready_timeout": 2.0,
    }
    values.update(overrides)
    return Config(**values)  # type: ignore[arg-type]


def test_port_in_use_names_the_port_and_the_setting(tmp_path: Path, listening: int) -> None:
    supervisor = Supervisor(_config(tmp_path, gateway_port=listening), out=lambda _: None)
    with pytest.raises(SupervisorError) as info:
        supervisor.preflight()
    message = str(info.value)
    assert f"port {listening} (gateway HTTP) is already in use" in message
    assert "DATACOMPASS_GATEWAY_PORT" in message


def test_run_fails_fast_on_a_taken_postgres_port(tmp_path: Path, listening: int) -> None:
    lines: list[str] = []
    supervisor = Supervisor(_config(tmp_path, pg_port=listening), out=lines.append)
    assert supervisor.run() == 1
    output = "\n".join(lines)
    assert f"port {listening} (embedded PostgreSQL)" in output
    assert "DATACOMPASS_DEV_PG_PORT" in output
    assert not (tmp_path / "dc" / "postgres").exists()  # nothing was started
    assert not (tmp_path / "dc" / "stack.json").exists()


def test_external_servers_skip_the_embedded_port_checks(tmp_path: Path, listening: int) -> None:
    config = _config(
        tmp_path,
        pg_port=listening,
        nats_port=listening,
        database_url="postgresql://postgres@127.0.0.1:1/datacompass",
        nats_url="nats://127.0.0.1:1",
    )
    Supervisor(config, out=lambda _: None).preflight()


def test_a_running_stack_is_detected(tmp_path: Path) -> None:
    config = _config(tmp_path)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        config.state.write_stack({"supervisor_pid": other.pid})
        with pytest.raises(SupervisorError, match="already running"):
            Supervisor(config, out=lambda _: None).preflight()
    finally:
        other.kill()
        other.wait()
    Supervisor(config, out=lambda _: None).preflight()  # a stale stack.json is ignored


def test_a_service_that_dies_while_starting_shows_its_log(tmp_path: Path) -> None:
    supervisor = Supervisor(_config(tmp_path), out=lambda _: None)
    supervisor.state.create()
    supervisor.secrets = supervisor.state.secrets()
    crash = "import sys; print('kaboom: bad setting', flush=True); sys.exit(3)"
    spec = ServiceSpec("broken", [sys.executable, "-c", crash], [(free_port(), "HTTP")])
    try:
        with pytest.raises(SupervisorError) as info:
            supervisor.start_services([spec])
    finally:
        supervisor.shutdown()
    message = str(info.value)
    assert "broken exited while starting (exit code 3)" in message
    assert "kaboom: bad setting" in message
    assert str(tmp_path / "dc" / "logs" / "broken.log") in message


def test_health_timeout_points_at_the_logs_and_children_are_stopped(tmp_path: Path) -> None:
    supervisor = Supervisor(_config(tmp_path, ready_timeout=1.0), out=lambda _: None)
    supervisor.state.create()
    supervisor.secrets = supervisor.state.secrets()
    spec = ServiceSpec("sleepy", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor.start_services([spec])
    pid = supervisor.services[0].pid
    assert pid is not None and psutil.pid_exists(pid)
    try:
        with pytest.raises(SupervisorError) as info:
            supervisor.wait_healthy(f"http://127.0.0.1:{free_port()}/health")
    finally:
        supervisor.shutdown()
    assert "did not return 200 within 1s" in str(info.value)
    assert "sleepy.log" in str(info.value)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_service_env_carries_secrets_and_ports(tmp_path: Path) -> None:
    config = _config(tmp_path)
    supervisor = Supervisor(config, out=lambda _: None)
    supervisor.state.create()
    supervisor.secrets = supervisor.state.secrets()
    supervisor.database_url = "postgresql://postgres@127.0.0.1:5/datacompass"
    supervisor.nats_url = "nats://127.0.0.1:6"
    env = supervisor.service_env()
    assert env["DATACOMPASS_CATALOG_ENCRYPTION_KEY"] == supervisor.secrets.encryption_key
    assert env["DATACOMPASS_BOOTSTRAP_ADMIN_KEY"] == supervisor.secrets.admin_key
    assert (
        env["DATACOMPASS_GATEWAY_CATALOG_ADDR"] == f"127.0.0.1:{config.backend_ports['catalog'][0]}"
    )
    assert "DATACOMPASS_GATEWAY_ANONYMOUS_READ" not in env  # every API call needs a token
    assert env["DATACOMPASS_INTERNAL_TOKEN"] == supervisor.secrets.internal_token
    assert env["DATACOMPASS_GOVERNANCE_JWT_SECRET"] == supervisor.secrets.jwt_secret
    assert env["DATACOMPASS_GOVERNANCE_MASKING_KEY"] == supervisor.secrets.masking_key
    assert len(supervisor.secrets.masking_key) >= 16  # what governance's MaskingKeys requires
    assert len({supervisor.secrets.internal_token, supervisor.secrets.admin_key}) == 2
    assert env["DATACOMPASS_DATABASE_URL"].endswith("/datacompass")


def test_status_and_stop_without_a_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATACOMPASS_HOME", str(tmp_path / "dc"))
    assert main(["status"]) == 3
    assert "not running" in capsys.readouterr().out
    assert main(["stop"]) == 0


def test_bad_port_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATACOMPASS_DEV_PG_PORT", "five")
    with pytest.raises(SupervisorError, match="DATACOMPASS_DEV_PG_PORT='five'"):
        Config.from_env()


def test_keys_from_the_environment_are_used_announced_and_never_printed(
    tmp_path: Path, listening: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog_key = Fernet.generate_key().decode()
    monkeypatch.setenv("DATACOMPASS_BOOTSTRAP_ADMIN_KEY", "users-own-admin-key")
    monkeypatch.setenv("DATACOMPASS_CATALOG_ENCRYPTION_KEY", catalog_key)
    lines: list[str] = []
    supervisor = Supervisor(_config(tmp_path, gateway_port=listening), out=lines.append)
    assert supervisor.run() == 1  # stops at the taken port, after reading the keys
    output = "\n".join(lines)
    assert "using DATACOMPASS_BOOTSTRAP_ADMIN_KEY from the environment" in output
    assert "using DATACOMPASS_CATALOG_ENCRYPTION_KEY from the environment" in output
    assert "users-own-admin-key" not in output and catalog_key not in output

    assert supervisor.secrets is not None
    supervisor.database_url = "postgresql://postgres@127.0.0.1:5/datacompass"
    supervisor.nats_url = "nats://127.0.0.1:6"
    env = supervisor.service_env()
    assert env["DATACOMPASS_BOOTSTRAP_ADMIN_KEY"] == "users-own-admin-key"
    assert env["DATACOMPASS_CATALOG_ENCRYPTION_KEY"] == catalog_key
    lines.clear()
    supervisor.print_summary()
    summary = "\n".join(lines)
    assert "users-own-admin-key" not in summary
    assert 'export DATACOMPASS_TOKEN="$DATACOMPASS_BOOTSTRAP_ADMIN_KEY"' in summary


def test_the_generated_admin_key_is_printed(tmp_path: Path) -> None:
    lines: list[str] = []
    supervisor = Supervisor(_config(tmp_path), out=lines.append)
    supervisor.state.create()
    supervisor.secrets = supervisor.state.secrets({})
    supervisor.print_summary()
    assert f"  export DATACOMPASS_TOKEN={supervisor.secrets.admin_key}" in lines


def test_an_encryption_key_the_data_was_not_encrypted_with_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)
    config.state.create()
    config.state.secrets({})  # an earlier `make run` generated the key its data uses
    monkeypatch.setenv("DATACOMPASS_CATALOG_ENCRYPTION_KEY", Fernet.generate_key().decode())
    lines: list[str] = []
    assert Supervisor(config, out=lines.append).run() == 1
    output = "\n".join(lines)
    assert "error: DATACOMPASS_CATALOG_ENCRYPTION_KEY differs from the key the data" in output
    assert not (tmp_path / "dc" / "postgres").exists()  # nothing was started
    assert not (tmp_path / "dc" / "stack.json").exists()


def test_restart_backoff_doubles_to_a_cap_and_starts_over_after_a_stable_run() -> None:
    from devstack.supervisor import Restart

    state = Restart(up_since=0.0)
    delays = []
    for _ in range(7):
        now = state.due or 1.0
        delays.append(state.schedule(now))
        state.restarted(state.due)
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert state.count == 7
    # Up for longer than STABLE_SECONDS: the next crash is restarted after 1 s again.
    assert state.schedule(state.up_since + Restart.STABLE_SECONDS + 1) == 1
