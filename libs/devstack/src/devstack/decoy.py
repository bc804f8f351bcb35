"""Keep tests away from default addresses.

Every setting that names where a service, database, NATS server or gateway lives falls back to
a default (127.0.0.1:50052, nats://127.0.0.1:4222, http://127.0.0.1:8000, ...), which is where
a developer's `make run` stack listens. A test that forgets to pass one of its own addresses
would quietly talk to that stack. So the test process points every such setting at a decoy: a
listener of its own that records each connection and hangs up. Connections to the default ports
made from Python sockets are refused outright (an audit hook sees them before they leave)."""

from __future__ import annotations

import contextlib
import importlib
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic_settings import BaseSettings

from devstack.backends import BACKENDS
from devstack.ports import DEFAULT_PORTS, ephemeral_range

HOST = "127.0.0.1"
LOOPBACK = ("127.", "::1", "localhost", "::ffff:127.")
# Settings read outside the services' settings classes (the CLI, the dev stack supervisor).
EXTRA_URLS = ("DATACOMPASS_URL",)  # the CLI's gateway
EXTRA_PORTS = ("DATACOMPASS_DEV_PG_PORT", "DATACOMPASS_DEV_NATS_PORT")
# Shared settings every service also reads unprefixed (dckit.settings.ServiceSettings.from_env).
SHARED_URLS = ("DATACOMPASS_DATABASE_URL", "DATACOMPASS_NATS_URL", "DATACOMPASS_OTLP_ENDPOINT")


@dataclass(frozen=True)
class Hit:
    """One connection to a place no test may reach, and the test running when it came."""

    test: str
    target: str
    detail: str


class Decoy:
    """A TCP listener on 127.0.0.1 that records every connection and closes it at once."""

    def __init__(self, port: int, current_test: Callable[[], str]) -> None:
        self.port = port
        self.current_test = current_test
        self.hits: list[Hit] = []
        self._sock = socket.create_server((HOST, port))
        self._thread = threading.Thread(target=self._serve, name="decoy", daemon=True)

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._thread.join(5)

    def _serve(self) -> None:
        while True:
            try:
                conn, peer = self._sock.accept()
            except OSError:
                return
            self.hits.append(Hit(self.current_test(), self.address, f"from port {peer[1]}"))
            conn.close()

    def environment(self) -> dict[str, str]:
        """Every address setting pointed at the decoy, every port setting at 0 (any free port,
        or off for metrics): no default address is reached and no default port is taken."""
        env: dict[str, str] = {}
        for prefix, name, default in setting_defaults():
            if name in SHARED_NAMES:
                continue  # given once, unprefixed, below: a stack's own shared value must win
            key = f"{prefix}{name}".upper()
            value = self.value_for(name, default)
            if value is not None:
                env[key] = value
        env["DATACOMPASS_DATABASE_URL"] = f"postgresql://postgres@{self.address}/datacompass"
        env["DATACOMPASS_NATS_URL"] = f"nats://{self.address}"
        env["DATACOMPASS_OTLP_ENDPOINT"] = ""
        env.update({name: f"http://{self.address}" for name in EXTRA_URLS})
        env.update(dict.fromkeys(EXTRA_PORTS, "0"))
        return env

    def value_for(self, name: str, default: Any) -> str | None:
        raw = default.get_secret_value() if hasattr(default, "get_secret_value") else default
        if (name == "port" or name.endswith("_port")) and isinstance(raw, int) and raw:
            return "0"
        if not isinstance(raw, str) or not name.endswith(("_addr", "_url", "_endpoint")):
            return None
        if not raw:
            return ""
        if "://" not in raw:  # host:port
            return self.address
        parts = urlsplit(raw)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@{self.address}" if credentials else self.address
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


SHARED_NAMES = ("database_url", "nats_url", "otlp_endpoint")


def setting_defaults() -> Iterable[tuple[str, str, Any]]:
    """(env prefix, field name, default) of every field of every service's settings class."""
    packages = [b.package for b in BACKENDS] + ["gateway_service"]
    for package in packages:
        try:
            module = importlib.import_module(f"{package}.config")
        except ImportError:
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseSettings)
                and value.__module__ == module.__name__
            ):
                prefix = str(value.model_config.get("env_prefix", ""))
                for name, field in value.model_fields.items():
                    if not field.is_required():
                        yield prefix, name, field.get_default(call_default_factory=False)


class PortGuard:
    """A sys.audit hook refusing connections from this process to the dev stack's default
    ports on this machine (those outside the kernel's ephemeral range, which a server of the
    test's own can never have been given), except the servers the tests were pointed at."""

    def __init__(self, current_test: Callable[[], str], allowed: Iterable[int] = ()) -> None:
        low, high = ephemeral_range()
        # `allowed`: the servers the developer pointed the tests at (DATACOMPASS_*_URL).
        self.ports = frozenset(p for p in DEFAULT_PORTS if not low <= p <= high) - set(allowed)
        self.current_test = current_test
        self.hits: list[Hit] = []
        self.active = True

    def install(self) -> None:
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if event != "socket.connect" or not self.active:
            return
        address = args[1]
        if not (isinstance(address, tuple) and len(address) >= 2):
            return
        host, port = str(address[0]), address[1]
        if port in self.ports and host.startswith(LOOPBACK):
            target = f"{host}:{port}"
            self.hits.append(Hit(self.current_test(), target, "refused (a default port)"))
            raise ConnectionRefusedError(
                f"tests may not connect to {target}, a default port of the dev stack"
            )
