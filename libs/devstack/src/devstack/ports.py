"""Free local ports for servers a process starts itself (tests, benchmarks, embedded servers).

Ports come from below the kernel's ephemeral range, so no port the kernel hands out (to a
`bind(0)` or to an outgoing connection, in any process) can take one between our choosing it
and the server binding it; they are handed out round-robin, so this process does not hand out
the same port twice in a row; the dev stack's default ports are never handed out; and with
`DATACOMPASS_PORT_PARTITION=<index>/<count>` (set per pytest-xdist worker) each process draws
from a slice of its own, so parallel workers never collide."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import threading
from pathlib import Path

from devstack.backends import BACKENDS

HOST = "127.0.0.1"
PARTITION_ENV = "DATACOMPASS_PORT_PARTITION"
# The ports a dev stack (`make run`) and the servers beside it listen on by default: PostgreSQL
# and NATS (the machine's own, the embedded ones), the gateway, every backend's gRPC and metrics.
DEFAULT_PORTS = frozenset(
    {4222, 5432, 8000, 54222, 55432}
    | {b.default_grpc_port for b in BACKENDS}
    | {b.default_metrics_port for b in BACKENDS}
)
LOWEST = 20000


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for ports it picks itself (Linux default 32768-60999)."""
    with contextlib.suppress(OSError, ValueError):
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    return 32768, 60999


def partition() -> tuple[int, int]:
    """(index, count) of this process's slice of the port range; (0, 1) = the whole range."""
    raw = os.environ.get(PARTITION_ENV, "")
    with contextlib.suppress(ValueError):
        index, count = (int(part) for part in raw.split("/"))
        if 0 <= index < count:
            return index, count
    return 0, 1


class PortPool:
    """Round-robin over one slice of [LOWEST, ephemeral start), skipping ports in use."""

    def __init__(self, index: int = 0, count: int = 1) -> None:
        top = max(ephemeral_range()[0], LOWEST + 1000)
        size = (top - LOWEST) // count
        self.low, self.high = LOWEST + index * size, LOWEST + (index + 1) * size
        self._next = random.randrange(self.low, self.high)  # concurrent pools start apart
        self._lock = threading.Lock()

    def take(self, host: str = HOST) -> int:
        with self._lock:
            for _ in range(self.high - self.low):
                port = self._next
                self._next = self.low if port + 1 >= self.high else port + 1
                if port not in DEFAULT_PORTS and _bindable(host, port):
                    return port
        raise OSError(f"no free port in {self.low}-{self.high - 1}")


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


_pools: dict[tuple[int, int], PortPool] = {}
_pools_lock = threading.Lock()


def free_port(host: str = HOST) -> int:
    """A port nothing listens on, for a server about to start."""
    key = partition()
    with _pools_lock:
        pool = _pools.get(key) or _pools.setdefault(key, PortPool(*key))
    return pool.take(host)
