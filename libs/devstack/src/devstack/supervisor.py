"""`python -m devstack run`: the whole system on one machine.

Order: PostgreSQL + NATS (embedded under `.datacompass/` unless DATACOMPASS_DATABASE_URL /
DATACOMPASS_NATS_URL point at running servers) → app database → catalog migrations → catalog
→ gateway → wait for `/health` → demo database → source `demo` + scan → summary. Then a child
that exits is restarted with backoff. Ctrl-C or SIGTERM stops everything in reverse order; a
second Ctrl-C kills what is left. A run after an unclean stop cleans up what the killed run
left (`Supervisor.recover`)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import asyncpg
import httpx
import psutil

from devstack import demo
from devstack.backends import BACKENDS, Backend, PortSettingError, installed_backends
from devstack.embedded import HOST, EmbeddedError, EmbeddedNats, EmbeddedPostgres, port_open
from devstack.processes import ServiceProcess, ServiceSpec, tail
from devstack.state import Secrets, SecretsError, StateDir
from devstack.urls import database_of, host_port, plain, with_database

APP_DATABASE = "datacompass"
DEMO_SOURCE = "demo"


class SupervisorError(RuntimeError):
    """A start-up failure with a message meant for the person at the terminal."""


class Shutdown(BaseException):
    """Raised in the main thread by the first SIGINT/SIGTERM."""


def _backend_ports() -> dict[str, tuple[int, int]]:
    try:
        return {backend.name: backend.ports() for backend in installed_backends()}
    except PortSettingError as exc:
        raise SupervisorError(str(exc)) from exc


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SupervisorError(f"{name}={raw!r} is not a port number") from exc


@dataclass
class Config:
    state: StateDir
    demo: bool = True
    reset_demo: bool = False
    exit_after_ready: bool = False
    database_url: str | None = None  # external app database; None = embedded server
    nats_url: str | None = None  # external NATS; None = embedded server
    pg_port: int = 55432
    nats_port: int = 54222
    # name -> (gRPC port, metrics port) of each backend service to run (see backends.py)
    backend_ports: dict[str, tuple[int, int]] = field(default_factory=dict)
    gateway_host: str = HOST
    gateway_port: int = 8000
    ready_timeout: float = 90.0
    scan_timeout: float = 600.0

    @classmethod
    def from_env(cls, **overrides: Any) -> Config:
        env = os.environ
        values: dict[str, Any] = {
            "state": StateDir.default(),
            "database_url": env.get("DATACOMPASS_DATABASE_URL") or None,
            "nats_url": env.get("DATACOMPASS_NATS_URL") or None,
            "pg_port": _env_int("DATACOMPASS_DEV_PG_PORT", 55432),
            "nats_port": _env_int("DATACOMPASS_DEV_NATS_PORT", 54222),
            "backend_ports": _backend_ports(),
            "gateway_host": env.get("DATACOMPASS_GATEWAY_HOST") or HOST,
            "gateway_port": _env_int("DATACOMPASS_GATEWAY_PORT", 8000),
            "ready_timeout": float(env.get("DATACOMPASS_DEV_READY_TIMEOUT") or 90),
        }
        values.update(overrides)
        return cls(**values)

    @property
    def backends(self) -> list[Backend]:
        return [b for b in BACKENDS if b.name in self.backend_ports]

    def grpc_port(self, backend: Backend) -> int:
        return self.backend_ports[backend.name][0]

    def metrics_port(self, backend: Backend) -> int:
        return self.backend_ports[backend.name][1]

    @property
    def base_url(self) -> str:
        host = HOST if self.gateway_host in ("0.0.0.0", "") else self.gateway_host
        return f"http://{host}:{self.gateway_port}"


@dataclass
class Timings:
    started: float = field(default_factory=time.monotonic)
    values: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def measure(self, name: str) -> Iterator[None]:
        begin = time.monotonic()
        try:
            yield
        finally:
            self.values[name] = round(time.monotonic() - begin, 3)

    def mark(self, name: str) -> None:
        self.values[name] = round(time.monotonic() - self.started, 3)


class Supervisor:
    def __init__(self, config: Config, out: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.state = config.state
        self.out = out or _DEFAULT_OUT
        self.timings = Timings()
        self.postgres: EmbeddedPostgres | None = None
        self.nats: EmbeddedNats | None = None
        self.services: list[ServiceProcess] = []
        self.secrets: Secrets | None = None
        self.server_url = ""  # postgresql:// URL of the server (database `postgres`)
        self.database_url = ""  # postgresql:// URL of the app database
        self.nats_url = ""
        self.demo_info: dict[str, Any] = {}
        self._stopping = False
        self._server_pids: list[int] = []

    # ------------------------------------------------------------------ entry point

    def run(self) -> int:
        """Start, report, then wait for a signal (or stop at once with exit_after_ready)."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        code = 0
        try:
            self.start()
            if not self.config.exit_after_ready:
                self.out("Press Ctrl-C to stop (or run `python -m devstack stop`).")
                code = self.watch()
        except Shutdown:
            self.out("\nstopping…")
        except SupervisorError as exc:
            self.out(f"\nerror: {exc}")
            code = 1
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stopping:
            self.out("\nforced stop: killing what is left")
            self.force_kill()
            os._exit(130)
        self._stopping = True
        raise Shutdown(signum)

    def start(self) -> None:
        cfg = self.config
        self.state.create()
        try:
            self.secrets = self.state.secrets(os.environ)
        except SecretsError as exc:
            raise SupervisorError(str(exc)) from exc
        where = "external servers" if cfg.database_url and cfg.nats_url else str(self.state.root)
        self.out(f"Data Compass dev stack ({where})")
        for var in sorted(self.secrets.from_env):
            self.out(f"  using {var} from the environment")
        self.preflight()
        self.start_servers()
        with self._step("app database", f"{APP_DATABASE} ready"):
            asyncio.run(self.ensure_app_database())
        with (
            self._step("migrations", "schemas up to date"),
            self.timings.measure("migrate_s"),
        ):
            self.migrate()
        self.start_services()
        with self._step("health", f"{cfg.base_url}/health is 200"):
            self.wait_healthy()
        self.timings.mark("healthy_s")
        if cfg.demo:
            self.setup_demo()
        self.timings.mark("ready_s")
        self.write_stack("ready")
        self.print_summary()

    # ------------------------------------------------------------------ steps

    def preflight(self) -> None:
        """Fail before starting anything when another stack runs or a port is taken; clean up
        after a stack whose supervisor was killed."""
        running = self.state.read_stack()
        if (
            running
            and _alive(running.get("supervisor_pid"))
            and running["supervisor_pid"] != (os.getpid())
        ):
            raise SupervisorError(
                f"a dev stack is already running (supervisor pid {running['supervisor_pid']}); "
                "use it, or stop it with `python -m devstack stop`"
            )
        if running and running.get("supervisor_pid") != os.getpid():
            self.recover(running)
        cfg = self.config
        ports: list[tuple[int, str, str]] = []
        if not cfg.database_url:
            ports.append((cfg.pg_port, "embedded PostgreSQL", "DATACOMPASS_DEV_PG_PORT"))
        if not cfg.nats_url:
            ports.append((cfg.nats_port, "embedded NATS", "DATACOMPASS_DEV_NATS_PORT"))
        for backend in cfg.backends:
            ports.append((cfg.grpc_port(backend), f"{backend.name} gRPC", backend.grpc_port_env))
            ports.append(
                (cfg.metrics_port(backend), f"{backend.name} metrics", backend.metrics_port_env)
            )
        ports.append((cfg.gateway_port, "gateway HTTP", "DATACOMPASS_GATEWAY_PORT"))
        taken = [(port, what, env) for port, what, env in ports if port_open(port)]
        if taken:
            lines = [f"port {port} ({what}) is already in use" for port, what, _ in taken]
            hints = ", ".join(f"{env}=<port>" for _, _, env in taken)
            raise SupervisorError(
                "; ".join(lines) + ".\n  Is another dev stack (or an old process) running? "
                f"Check with `ss -ltnp | grep {taken[0][0]}` or `python -m devstack status`, "
                f"stop it, or choose other ports: {hints}"
            )

    def recover(self, stack: dict[str, Any]) -> None:
        """The last run ended uncleanly (supervisor SIGKILLed, terminal closed, power loss):
        its stack.json remains. Children it names that still run (stopping after their parent
        died, or orphaned) are stopped — only processes started by that run (not before it)
        running one of our programs, so a reused pid is never touched — and the file removed.
        Stale server files (postmaster.pid, a store in use) are the embedded servers' own
        business (`devstack.embedded`)."""
        started = float(stack.get("started_at") or 0)
        markers = [b.package for b in BACKENDS] + ["gateway_service", str(self.state.root)]
        leftovers: list[psutil.Process] = []
        pids = stack.get("pids") if isinstance(stack.get("pids"), dict) else {}
        for name, pid in (pids or {}).items():
            if name == "supervisor" or not isinstance(pid, int):
                continue
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                cmdline = " ".join(proc.cmdline())
                if proc.create_time() >= started - 1 and any(m in cmdline for m in markers):
                    leftovers.append(proc)
                    # PostgreSQL: "fast" shutdown (SIGTERM would wait for its clients).
                    proc.send_signal(signal.SIGINT if name == "postgres" else signal.SIGTERM)
        _, alive = psutil.wait_procs(leftovers, timeout=20)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(alive, timeout=5)
        self.state.remove_stack()
        detail = f"; stopped {len(leftovers)} leftover process(es)" if leftovers else ""
        self.out(f"  recovered    from an unclean stop{detail}")

    def start_servers(self) -> None:
        cfg = self.config
        with self.timings.measure("servers_s"):
            if cfg.database_url:
                self.database_url = plain(cfg.database_url)
                self.server_url = with_database(self.database_url, "postgres")
                self.out(f"  postgres     external ({_redact(self.database_url)})")
            else:
                self.postgres = EmbeddedPostgres(self.state.postgres, cfg.pg_port)
                with self._step("postgres", f"embedded on {HOST}:{cfg.pg_port}"):
                    self._embedded(self.postgres)
                self.server_url = self.postgres.url()
                self.database_url = self.postgres.url(APP_DATABASE)
            if cfg.nats_url:
                self.nats_url = cfg.nats_url
                self.out(f"  nats         external ({cfg.nats_url})")
            else:
                self.nats = EmbeddedNats(self.state.nats, cfg.nats_port)
                with self._step("nats", f"embedded JetStream on {HOST}:{cfg.nats_port}"):
                    self._embedded(self.nats)
                self.nats_url = self.nats.url
        self.write_stack("starting")

    def _embedded(self, server: EmbeddedPostgres | EmbeddedNats) -> None:
        try:
            server.start()
        except EmbeddedError as exc:
            log = server.root / ("postgres.log" if server is self.postgres else "nats.log")
            lines = tail(log, 15)
            raise SupervisorError(
                f"{exc}; see {log}" + (f"\n--- last lines ---\n{lines}" if lines else "")
            ) from exc
        finally:
            if server.pid:
                self._server_pids.append(server.pid)

    async def ensure_app_database(self) -> None:
        name = database_of(self.database_url)
        try:
            conn = await asyncpg.connect(self.server_url, timeout=10)
        except (OSError, asyncpg.PostgresError) as exc:
            # No access to the `postgres` database: the app database must exist already.
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                check = await asyncpg.connect(self.database_url, timeout=10)
                await check.close()
                return
            raise SupervisorError(f"cannot connect to PostgreSQL: {exc}") from exc
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                    await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    def service_env(self) -> dict[str, str]:
        cfg = self.config
        assert self.secrets is not None
        env = dict(os.environ)
        env.update(
            {
                "DATACOMPASS_DATABASE_URL": self.database_url,
                "DATACOMPASS_NATS_URL": self.nats_url,
                "DATACOMPASS_CATALOG_ENCRYPTION_KEY": self.secrets.encryption_key,
                "DATACOMPASS_GATEWAY_HOST": cfg.gateway_host,
                "DATACOMPASS_GATEWAY_PORT": str(cfg.gateway_port),
                "DATACOMPASS_BOOTSTRAP_ADMIN_KEY": self.secrets.admin_key,
                "DATACOMPASS_INTERNAL_TOKEN": self.secrets.internal_token,
                "DATACOMPASS_GOVERNANCE_JWT_SECRET": self.secrets.jwt_secret,
                "DATACOMPASS_GOVERNANCE_MASKING_KEY": self.secrets.masking_key,
                "DATACOMPASS_NOTIFIER_ENCRYPTION_KEY": self.secrets.notifier_key,
                "DATACOMPASS_NOTIFIER_PUBLIC_URL": cfg.base_url,
                # Development: webhooks and SMTP on this machine (a local sink) are allowed.
                "DATACOMPASS_NOTIFIER_ALLOW_LOOPBACK_TARGETS": "true",
                "PYTHONUNBUFFERED": "1",
            }
        )
        callers = ["gateway", *(b.name for b in cfg.backends)]
        for backend in cfg.backends:
            env[backend.grpc_port_env] = str(cfg.grpc_port(backend))
            env[backend.metrics_port_env] = str(cfg.metrics_port(backend))
            # Every process finds every backend (gateway → all, quality → catalog, ...).
            for caller in callers:
                env[backend.addr_env(caller)] = f"{HOST}:{cfg.grpc_port(backend)}"
        return env

    def service_specs(self) -> list[ServiceSpec]:
        cfg = self.config
        py = sys.executable
        specs = [
            ServiceSpec(
                backend.name,
                [py, "-m", backend.package, "serve"],
                [(cfg.grpc_port(backend), "gRPC"), (cfg.metrics_port(backend), "metrics")],
            )
            for backend in cfg.backends
        ]
        specs.append(
            ServiceSpec("gateway", [py, "-m", "gateway_service"], [(cfg.gateway_port, "HTTP")])
        )
        return specs

    def migrate(self) -> None:
        # Each service migrates its own schema (own advisory lock): all at once, since most of
        # the time is each process starting Python and Alembic.
        backends = self.config.backends
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(backends))) as pool:
            for future in [pool.submit(self.migrate_one, b) for b in backends]:
                future.result()

    def migrate_one(self, backend: Backend) -> None:
        name = backend.name
        log = self.state.log(f"{name}-migrate")
        with log.open("ab") as handle:
            try:
                result = subprocess.run(
                    [sys.executable, "-m", backend.package, "migrate"],
                    env=self.service_env(),
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    timeout=180,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise SupervisorError(f"{name} migrations took over 180s; see {log}") from exc
        if result.returncode != 0:
            lines = tail(log)
            raise SupervisorError(
                f"{name} migrations failed (exit code {result.returncode}); see {log}"
                + (f"\n--- last lines ---\n{lines}" if lines else "")
            )

    def start_services(self, specs: list[ServiceSpec] | None = None) -> None:
        """Start every service at once (each spends a second or more importing; they find
        each other lazily over gRPC), then wait until each listens on its ports."""
        env = self.service_env()
        started: list[ServiceProcess] = []
        for spec in specs if specs is not None else self.service_specs():
            service = ServiceProcess(spec, env, self.state.log(spec.name))
            ports = ", ".join(f"{what} {port}" for port, what in spec.ports)
            with self._step(spec.name, f"pid {{pid}}, {ports}" if ports else "pid {pid}"):
                service.start()
                self.services.append(service)
                self.write_stack("starting")
            started.append(service)
        with self._step("listening", "every service"):
            for service in started:
                self.wait_ports(service)

    def wait_ports(self, service: ServiceProcess) -> None:
        deadline = time.monotonic() + self.config.ready_timeout
        pending = [port for port, _ in service.spec.ports]
        while pending:
            if service.exit_code() is not None:
                raise SupervisorError(service.failure("exited while starting"))
            pending = [port for port in pending if not port_open(port)]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise SupervisorError(
                    f"{service.name} did not listen on port(s) {pending} within "
                    f"{self.config.ready_timeout:.0f}s; see {service.log_path}"
                )
            time.sleep(0.1)

    def wait_healthy(self, url: str | None = None) -> None:
        url = url or f"{self.config.base_url}/health"
        deadline = time.monotonic() + self.config.ready_timeout
        last = "no answer"
        with httpx.Client(timeout=3.0) as client:
            while True:
                for service in self.services:
                    if service.exit_code() is not None:
                        raise SupervisorError(service.failure("exited while starting"))
                try:
                    response = client.get(url)
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}: {response.text[:300]}"
                except httpx.HTTPError as exc:
                    last = f"{type(exc).__name__}: {exc}"
                if time.monotonic() > deadline:
                    logs = ", ".join(str(s.log_path) for s in self.services)
                    raise SupervisorError(
                        f"{url} did not return 200 within {self.config.ready_timeout:.0f}s "
                        f"(last: {last}); see the logs: {logs}"
                    )
                time.sleep(0.2)

    def setup_demo(self) -> None:
        assert self.secrets is not None
        password = self.secrets.demo_reader_password
        with self._step("demo data", "{detail}") as step:
            result = asyncio.run(
                demo.load_demo(
                    self.server_url,
                    demo.DEMO_DATABASE,
                    reset=self.config.reset_demo,
                    reader_password=password,
                )
            )
            rows = ", ".join(f"{n:,} {t}" for t, n in result.counts.items())
            step["detail"] = ("loaded " if result.created else "kept existing ") + rows
        self.timings.values["demo_load_s"] = round(result.seconds, 3)
        self.demo_info = {"database": result.database, "created": result.created}
        self.demo_info["rows"] = result.counts
        host, port = host_port(self.server_url)
        body = {
            "name": DEMO_SOURCE,
            "source_type": "postgres",
            "description": "Demo web shop (customers, products, orders) loaded by `make run`",
            "connection": {
                "host": host,
                "port": port,
                "database": demo.DEMO_DATABASE,
                "username": demo.READER_ROLE,
                "password": password,
            },
        }
        headers = {"Authorization": f"Bearer {self.secrets.admin_key}"}
        api = f"{self.config.base_url}/api/v1"
        with httpx.Client(headers=headers, timeout=30.0) as client:
            with self._step("demo source", "{detail}") as step:
                response = client.post(f"{api}/sources", json=body)
                if response.status_code == 409:
                    update = {"connection": body["connection"]}
                    patched = client.patch(f"{api}/sources/{DEMO_SOURCE}", json=update)
                    _expect(patched, "update source 'demo'")
                    step["detail"] = "'demo' already registered (connection refreshed)"
                else:
                    _expect(response, "register source 'demo'")
                    step["detail"] = "'demo' registered"
            with self._step("demo scan", "{detail}") as step:
                begin = time.monotonic()
                response = client.post(
                    f"{api}/sources/{DEMO_SOURCE}/scans",
                    params={"wait": "true"},
                    timeout=self.config.scan_timeout,
                )
                self.timings.values["demo_scan_s"] = round(time.monotonic() - begin, 3)
                scan = _expect(response, "scan source 'demo'")
                if scan.get("status") == "failed":
                    raise SupervisorError(f"the demo scan failed: {scan.get('error')}")
                self.demo_info["scan"] = {
                    k: scan.get(k)
                    for k in ("id", "status", "duration_ms", "objects_found", "columns_found")
                }
                step["detail"] = (
                    f"{scan.get('objects_found')} objects, {scan.get('columns_found')} columns"
                )
            if any(b.name == "quality" for b in self.config.backends):
                with self._step("demo DQ", "{detail}") as step:
                    step["detail"] = _demo_dq(client, api)
                if any(b.name == "governance" for b in self.config.backends):
                    with self._step("demo rules", "{detail}") as step:
                        step["detail"] = _demo_rules(client, api)

    # ------------------------------------------------------------------ running

    def watch(self) -> int:
        """Block until a signal (raises Shutdown). A child that exits (NATS, PostgreSQL, a
        service) is restarted after a backoff (1 s, doubling to 30 s while it keeps crashing
        within a minute of its start), each exit and restart reported."""
        restarts: dict[str, Restart] = {}
        while True:
            now = time.monotonic()
            for name, child in self.children().items():
                code = child.exit_code()
                state = restarts.setdefault(name, Restart(up_since=now))
                if code is None and not state.due:
                    continue
                if not state.due:
                    delay = state.schedule(now)
                    self.out(
                        f"  {name} exited (code {code}); restarting in {delay:.0f}s "
                        f"(restart #{state.count})"
                    )
                elif now >= state.due:
                    self.restart(name, child, state, now)
            time.sleep(0.5)

    def children(self) -> dict[str, EmbeddedPostgres | EmbeddedNats | ServiceProcess]:
        found: dict[str, EmbeddedPostgres | EmbeddedNats | ServiceProcess] = {}
        if self.postgres is not None:
            found["postgres"] = self.postgres
        if self.nats is not None:
            found["nats"] = self.nats
        found.update({service.name: service for service in self.services})
        return found

    def restart(
        self,
        name: str,
        child: EmbeddedPostgres | EmbeddedNats | ServiceProcess,
        state: Restart,
        now: float,
    ) -> None:
        child.stop()  # closes the dead child's log
        try:
            child.start()
        except (EmbeddedError, OSError) as exc:
            state.up_since = now  # a failed start counts as a crash right after starting
            delay = state.schedule(now)
            self.out(f"  {name} failed to restart ({exc}); retrying in {delay:.0f}s")
            return
        state.restarted(time.monotonic())
        if child.pid and not isinstance(child, ServiceProcess):
            self._server_pids.append(child.pid)
        self.out(f"  {name} restarted (pid {child.pid})")
        self.write_stack("ready")

    def shutdown(self) -> None:
        """Stop in reverse order: services (gateway first), then NATS, then PostgreSQL."""
        self._stopping = True
        for service in reversed(self.services):
            service.stop()
        self.services.clear()
        if self.nats is not None:
            self.nats.stop()
            self.nats = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None
        self._server_pids.clear()
        stack = self.state.read_stack()
        if stack and stack.get("supervisor_pid") == os.getpid():
            self.state.remove_stack()

    def force_kill(self) -> None:
        for service in self.services:
            service.kill()
        for pid in self._server_pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    # ------------------------------------------------------------------ reporting

    def write_stack(self, phase: str) -> None:
        cfg = self.config
        pids: dict[str, int | None] = {"supervisor": os.getpid()}
        if self.postgres:
            pids["postgres"] = self.postgres.pid
        if self.nats:
            pids["nats"] = self.nats.pid
        pids.update({service.name: service.pid for service in self.services})
        self.state.write_stack(
            {
                "phase": phase,
                "supervisor_pid": os.getpid(),
                "started_at": time.time() - (time.monotonic() - self.timings.started),
                "home": str(self.state.root),
                "pids": pids,
                "ports": {
                    "postgres": None if cfg.database_url else cfg.pg_port,
                    "nats": None if cfg.nats_url else cfg.nats_port,
                    **{f"{b.name}_grpc": cfg.grpc_port(b) for b in cfg.backends},
                    **{f"{b.name}_metrics": cfg.metrics_port(b) for b in cfg.backends},
                    "gateway": cfg.gateway_port,
                },
                "urls": self.urls(),
                "logs": str(self.state.logs),
            }
        )

    def urls(self) -> dict[str, str]:
        base = self.config.base_url
        return {
            "api": f"{base}/api/v1",
            "docs": f"{base}/docs",
            "health": f"{base}/health",
            "metrics": f"{base}/metrics",
            **{
                f"{b.name}_metrics": f"http://{HOST}:{self.config.metrics_port(b)}/metrics"
                for b in self.config.backends
            },
            "database": _redact(self.database_url),
            "nats": self.nats_url,
        }

    def ready_payload(self) -> dict[str, Any]:
        return {
            "urls": self.urls(),
            "timings": dict(self.timings.values),
            "pids": {s.name: s.pid for s in self.services},
            "demo": self.demo_info,
            "home": str(self.state.root),
        }

    def print_summary(self) -> None:
        assert self.secrets is not None
        urls, t = self.urls(), self.timings.values
        base = self.config.base_url
        hostport = base.removeprefix("http://")
        lines = [
            "",
            f"Data Compass is up — healthy after {t.get('healthy_s', 0):.1f}s",
            f"  API       {urls['api']}",
            f"  Docs      {urls['docs']}",
            f"  Health    {urls['health']}",
            f"  Metrics   {urls['metrics']}",
            *(f"            {b.name}: {urls[b.name + '_metrics']}" for b in self.config.backends),
            f"  Logs      {self.state.logs}/",
        ]
        if self.demo_info:
            scan = self.demo_info.get("scan", {})
            lines.append(
                f"  Demo      source '{DEMO_SOURCE}' → database {demo.DEMO_DATABASE}: "
                f"{scan.get('objects_found')} objects, {scan.get('columns_found')} columns"
            )
        if "DATACOMPASS_BOOTSTRAP_ADMIN_KEY" in self.secrets.from_env:
            # The user's own key: never printed (terminals and CI logs are kept).
            lines += [
                "",
                "Every API call needs a token; use the admin key you set:",
                '  export DATACOMPASS_TOKEN="$DATACOMPASS_BOOTSTRAP_ADMIN_KEY"',
            ]
        else:
            lines += [
                "",
                "Every API call needs a token; use the admin key:",
                f"  export DATACOMPASS_TOKEN={self.secrets.admin_key}",
            ]
        if self.config.gateway_port != 8000 or base != "http://127.0.0.1:8000":
            lines.append(f"  export DATACOMPASS_URL={base}")
        lines += [
            "",
            "Try:",
            f'  curl -H "Authorization: Bearer $DATACOMPASS_TOKEN" '
            f"'{hostport}/api/v1/objects?q=orders'",
            *(
                [
                    f'  curl -H "Authorization: Bearer $DATACOMPASS_TOKEN" '
                    f"'{hostport}/api/v1/objects/{DEMO_SOURCE}.public.orders'",
                    f'  curl -X POST -H "Authorization: Bearer $DATACOMPASS_TOKEN" '
                    f"'{hostport}/api/v1/sources/{DEMO_SOURCE}/scans?wait=true'",
                ]
                if self.demo_info
                else []
            ),
            "  .venv/bin/datacompass catalog search orders",
            "  .venv/bin/datacompass source list",
            *(
                [
                    f"  .venv/bin/datacompass dq backfill {DEMO_SOURCE}.{demo.DQ_OBJECT} --days 30",
                    f"  .venv/bin/datacompass dq status {DEMO_SOURCE}.{demo.DQ_OBJECT}",
                    f"  .venv/bin/datacompass quality profile {DEMO_SOURCE}.public.customers",
                    f"  .venv/bin/datacompass quality check {DEMO_SOURCE}.public.customers",
                ]
                if self.demo_info and any(b.name == "quality" for b in self.config.backends)
                else []
            ),
            "",
            "Timings: " + ", ".join(f"{k.removesuffix('_s')} {v:.2f}s" for k, v in t.items()),
        ]
        for line in lines:
            self.out(line)
        self.out("DEVSTACK_READY " + json.dumps(self.ready_payload(), sort_keys=True))

    @contextlib.contextmanager
    def _step(self, name: str, done: str) -> Iterator[dict[str, str]]:
        """Progress line: `  name  … detail (1.23s)`; `done` may use {pid} and {detail}."""
        begin = time.monotonic()
        details: dict[str, str] = {"detail": ""}
        if self.out is _DEFAULT_OUT and sys.stdout.isatty():
            print(f"  {name:<13}…", end="", flush=True)
        try:
            yield details
        except BaseException:
            self._end_line(f"  {name:<13}failed")
            raise
        pid = str(self.services[-1].pid) if self.services else "?"
        message = done.format(pid=pid, detail=details["detail"])
        self._end_line(f"  {name:<13}{message} ({time.monotonic() - begin:.2f}s)")

    def _end_line(self, line: str) -> None:
        if self.out is _DEFAULT_OUT and sys.stdout.isatty():
            print("\r" + line, flush=True)
        else:
            self.out(line)


@dataclass
class Restart:
    """Backoff of one child's restarts: 1 s doubling to 30 s while it keeps exiting within
    STABLE_SECONDS of its (re)start; a child that ran longer starts over at 1 s."""

    up_since: float
    count: int = 0
    failures: int = 0
    due: float = 0.0  # when the pending restart is due; 0 = none pending

    BASE_SECONDS = 1.0
    MAX_SECONDS = 30.0
    STABLE_SECONDS = 60.0

    def schedule(self, now: float) -> float:
        if now - self.up_since > self.STABLE_SECONDS:
            self.failures = 0
        self.failures += 1
        if not self.due:
            self.count += 1
        delay = min(self.MAX_SECONDS, self.BASE_SECONDS * 2 ** (self.failures - 1))
        self.due = now + delay
        return delay

    def restarted(self, now: float) -> None:
        self.up_since, self.due = now, 0.0


def _default_out(line: str) -> None:
    print(line, flush=True)


_DEFAULT_OUT = _default_out


def _demo_dq(client: httpx.Client, api: str) -> str:
    """The demo's DQ config and expectations (kept as they are when they already exist)."""
    ref = f"{DEMO_SOURCE}.{demo.DQ_OBJECT}"
    found = _expect(client.get(f"{api}/dq/configs", params={"object_ref": ref}), "read DQ configs")
    if found.get("items"):
        return f"{ref}: DQ config kept"
    body = {"object_ref": ref, "date_column": demo.DQ_DATE_COLUMN}
    config = _expect(client.post(f"{api}/dq/configs", json=body), f"create the DQ config of {ref}")
    for expectation in demo.DQ_EXPECTATIONS:
        response = client.post(
            f"{api}/dq/expectations", json={"config_id": config["id"], **expectation}
        )
        _expect(response, f"add a {expectation['metric_type']} expectation to {ref}")
    return f"{ref}: {len(demo.DQ_EXPECTATIONS)} expectations"


def _demo_rules(client: httpx.Client, api: str) -> str:
    """The demo's quality and masking rules, each created only where its column has none of
    that kind yet (a restart keeps what people changed)."""
    added = 0
    for obj, column, rule_type, config, severity in demo.QUALITY_RULES:
        ref = f"{DEMO_SOURCE}.{obj}"
        found = _expect(
            client.get(f"{api}/capsules/{ref}/quality-rules", params={"column": column}),
            f"read the quality rules of {ref}",
        )
        if any(r["rule_type"] == rule_type for r in found.get("items", [])):
            continue
        body = {"column": column, "rule_type": rule_type, "rule_config": config,
                "severity": severity}  # fmt: skip
        response = client.post(f"{api}/capsules/{ref}/quality-rules", json=body)
        _expect(response, f"add a {rule_type} rule to {ref}.{column}")
        added += 1
    masked = 0
    for obj, column, method, config in demo.MASKING_RULES:
        path = f"{api}/columns/{DEMO_SOURCE}.{obj}.{column}/masking-rules"
        if _expect(client.get(path), f"read the masking rules of {obj}.{column}").get("items"):
            continue
        body = {"method": method, "config": config, "exempt_roles": demo.MASKING_EXEMPT_ROLES}
        _expect(client.post(path, json=body), f"mask {obj}.{column}")
        masked += 1
    return f"{added} quality rules, {masked} masking rules added"


def _expect(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise SupervisorError(
            f"could not {what}: HTTP {response.status_code} {response.text[:500]}"
        )
    data = response.json()
    return data if isinstance(data, dict) else {}


def _redact(url: str) -> str:
    """A URL without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
