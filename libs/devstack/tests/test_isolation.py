"""The test plugin keeps tests away from default addresses: a test that reaches one (over gRPC
from a settings default, or a plain socket to a dev stack port) fails, named; ports handed out
never repeat soon, never are a default port and never fall in another worker's slice."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from devstack.ports import DEFAULT_PORTS, PARTITION_ENV, PortPool, free_port

INNER = '''
import os
import socket

import grpc
import pytest

from gateway_service.config import GatewaySettings


def test_leak_via_default_address() -> None:
    """The secured gateway stack's old leak: no quality service, the default address."""
    settings = GatewaySettings(catalog_addr="127.0.0.1:1", governance_addr="127.0.0.1:1")
    channel = grpc.insecure_channel(settings.quality_addr)
    try:
        with pytest.raises(grpc.FutureTimeoutError):
            grpc.channel_ready_future(channel).result(timeout=1.5)
    finally:
        channel.close()


def test_plain_socket_to_the_gateway_default_port() -> None:
    with pytest.raises(ConnectionRefusedError, match="default port"):
        socket.create_connection(("127.0.0.1", 8000), timeout=2)


def test_own_addresses_only() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        socket.create_connection(server.getsockname(), timeout=2).close()
    assert os.environ["DATACOMPASS_DEV_PG_PORT"] == "0"
'''


@pytest.mark.stack  # starts processes
def test_reaching_a_default_address_fails_the_test_that_did(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "devstack.testing", "-p", "no:cacheprovider",
         "-p", "no:asyncio", "-q", "-rE", "test_inner.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "3 passed, 2 errors" in out, out  # each test ran; two then failed, named
    assert "ERROR test_inner.py::test_leak_via_default_address" in out, out
    assert "ERROR test_inner.py::test_plain_socket_to_the_gateway_default_port" in out, out
    assert "127.0.0.1:8000 (refused (a default port))" in out, out
    assert "during test_inner.py::test_leak_via_default_address" in out, out


def test_the_decoy_stands_in_for_every_default_address() -> None:
    assert os.environ["DATACOMPASS_GATEWAY_QUALITY_ADDR"].startswith("127.0.0.1:")
    decoy = os.environ["DATACOMPASS_GATEWAY_QUALITY_ADDR"]
    for name in ("CATALOG", "GOVERNANCE", "NOTIFIER", "SCHEDULER"):
        assert os.environ[f"DATACOMPASS_GATEWAY_{name}_ADDR"] == decoy
    assert os.environ["DATACOMPASS_QUALITY_CATALOG_ADDR"] == decoy
    assert os.environ["DATACOMPASS_URL"] == f"http://{decoy}"
    assert os.environ["DATACOMPASS_NATS_URL"] == f"nats://{decoy}"
    assert decoy in os.environ["DATACOMPASS_DATABASE_URL"]
    assert os.environ["DATACOMPASS_CATALOG_GRPC_PORT"] == "0"
    assert os.environ["DATACOMPASS_GATEWAY_PORT"] == "0"


def test_ports_skip_defaults_and_stay_in_their_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = PortPool(0, 2), PortPool(1, 2)
    assert first.high <= second.low
    taken = [first.take() for _ in range(200)]
    assert len(set(taken)) == len(taken)  # round-robin: no repeats
    assert all(first.low <= p < first.high and p not in DEFAULT_PORTS for p in taken)
    monkeypatch.setenv(PARTITION_ENV, "1/2")
    assert second.low <= free_port() < second.high
