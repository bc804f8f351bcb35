"""pytest plugin (loaded with `-p devstack.testing`): real PostgreSQL and NATS for every test,
kept apart from everything else on the machine.

- Servers are embedded and started once per session (per pytest-xdist worker) unless
  `DATACOMPASS_DATABASE_URL` / `DATACOMPASS_NATS_URL` point at running ones.
- Each test gets its own database (empty: `fresh_database`; every service schema migrated:
  `service_database`, a copy of a template migrated once per session), its own JetStream stream
  and subject prefix. Data sources that tests only read are built once per session
  (`source_databases`).
- Ports come from `devstack.ports` (never a default port, never another worker's).
- Every default address a setting could fall back to points at a decoy of the session's own
  (`devstack.decoy`); a test during which anything reached it, or tried a default port, fails.

Session-scoped twins of the per-test fixtures (`session_service_database`,
`session_service_env`, ...) serve stacks shared by a whole session."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import nats
import pytest

from devstack.databases import (
    SourceDatabases,
    build_service_template,
    create_database,
    drop_database,
    execute,
    unique_name,
)
from devstack.decoy import Decoy, Hit, PortGuard
from devstack.embedded import EmbeddedNats, EmbeddedPostgres
from devstack.ports import PARTITION_ENV
from devstack.ports import free_port as _free_port
from devstack.urls import plain

__all__ = ["eventually", "execute", "repo_root", "run_sync", "scratch_database"]

T = TypeVar("T")
# Variables as the developer's shell gave them to the outermost pytest process (before the decoy
# takes the address variables over), handed down to xdist workers and to pytest sessions that
# tests start: the external servers to use, and the terminal size.
ORIGINAL_ENV = "DATACOMPASS_TEST_ORIGINAL_ENV"
KEPT = ("DATACOMPASS_DATABASE_URL", "DATACOMPASS_NATS_URL", "COLUMNS", "LINES")


class _Guard:
    """This process's decoy, port guard and the test now running (what a hit is blamed on)."""

    def __init__(self) -> None:
        self.current = "(between tests)"
        self.decoy: Decoy | None = None
        self.ports: PortGuard | None = None
        self.reported = 0  # hits already turned into test failures

    def hits(self) -> list[Hit]:
        return [*(self.decoy.hits if self.decoy else []), *(self.ports.hits if self.ports else [])]


_guard = _Guard()


def _original(name: str) -> str | None:
    saved = os.environ.get(ORIGINAL_ENV)
    if saved is None:
        saved = json.dumps({key: os.environ.get(key) for key in KEPT})
        os.environ[ORIGINAL_ENV] = saved
    value: str | None = json.loads(saved)[name]
    return value or None


def _port_of(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or {"nats": 4222}.get(parts.scheme, 5432)


def _runs_tests(config: pytest.Config) -> bool:
    """False in a pytest-xdist controller (its workers run the tests)."""
    return hasattr(config, "workerinput") or config.getoption("dist", "no") == "no"


def pytest_configure(config: pytest.Config) -> None:
    _original("COLUMNS")
    worker = getattr(config, "workerinput", None)
    if worker is not None:  # each xdist worker draws ports from a slice of its own
        index = int(str(worker["workerid"]).removeprefix("gw"))
        os.environ[PARTITION_ENV] = f"{index}/{worker['workercount']}"
        # A worker starts with an 80x24 terminal size in its environment; CLI output under
        # test must be laid out as in a plain run.
        for name in ("COLUMNS", "LINES"):
            value = _original(name)
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    # One internal service credential per test session, shared by in-process services and any
    # subprocess a test starts (dckit.internal_auth); a stack's own setting still wins.
    os.environ.setdefault("DATACOMPASS_INTERNAL_TOKEN", "dc_int_test_" + uuid.uuid4().hex)
    scratch = Path(tempfile.mkdtemp(prefix="dc-test-home-"))
    # The CLI saves logins under the user's config dir: never the real one during tests.
    os.environ.setdefault("DATACOMPASS_CREDENTIALS_FILE", str(scratch / "credentials.json"))
    # `python -m devstack status|stop` in a test must never find the developer's stack.
    os.environ["DATACOMPASS_HOME"] = str(scratch / "devstack")
    if _runs_tests(config):
        _guard.decoy = Decoy(_free_port(), lambda: _guard.current)
        _guard.decoy.start()
        os.environ.update(_guard.decoy.environment())
        if _guard.ports is None:  # an audit hook stays for the life of the process
            given = [_original(n) for n in ("DATACOMPASS_DATABASE_URL", "DATACOMPASS_NATS_URL")]
            _guard.ports = PortGuard(lambda: _guard.current, (_port_of(u) for u in given if u))
            _guard.ports.install()
        _guard.ports.active = True


F = TypeVar("F", bound=Callable[..., Any])


def starts_stack(fixture: F) -> F:
    """Decorate a fixture function (under @pytest.fixture) that starts services, a stack or
    servers: every test using it, directly or through other fixtures, is marked `stack`."""
    fixture._dc_starts_stack = True  # type: ignore[attr-defined]
    return fixture


@pytest.hookimpl(tryfirst=True)  # before `-m` selects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info is not None else ()
        if any(getattr(d.func, "_dc_starts_stack", False) for ds in defs for d in ds):
            item.add_marker(pytest.mark.stack)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _guard.decoy is not None:
        _guard.decoy.stop()
        _guard.decoy = None
    if _guard.ports is not None:
        _guard.ports.active = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    _guard.current = item.nodeid
    try:
        return (yield)
    finally:
        _guard.current = "(between tests)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.when == "teardown":
        new = _guard.hits()[_guard.reported :]
        _guard.reported += len(new)
        if new:
            report.outcome = "failed"
            report.longrepr = _describe(new)
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    late = _guard.hits()[_guard.reported :]
    if late:  # after the last test's teardown: a process that outlived its test
        _guard.reported += len(late)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(_describe(late), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _describe(hits: list[Hit]) -> str:
    lines = [
        "reached an address no test may reach (a default address: a developer's `make run` "
        "stack listens there). Give every service, client and stack the addresses of this "
        "test's own servers:"
    ]
    lines += [f"  {hit.target} ({hit.detail}) during {hit.test}" for hit in hits]
    return "\n".join(lines)


def run_sync(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(factory()))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


# ---------------------------------------------------------------- servers (once per session)


@pytest.fixture(scope="session")
def database_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server (database `postgres`) the tests may create databases on."""
    external = _original("DATACOMPASS_DATABASE_URL")
    if external:
        yield plain(external)
        return
    # Not under pytest's basetemp: another pytest session resets that tree to mode 0700, which
    # locks out the unprivileged user PostgreSQL runs as when we are root.
    root = _memory_dir("dc-test-pg-")
    server = EmbeddedPostgres(root)
    server.start()
    try:
        yield server.url()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    external = _original("DATACOMPASS_NATS_URL")
    if external:
        yield external
        return
    root = _memory_dir("dc-test-nats-")
    server = EmbeddedNats(root)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _memory_dir(prefix: str) -> Path:
    """A new directory in memory (tmpfs /dev/shm) where there is one: a session creates and
    drops databases and streams by the thousand, which on a busy disk costs seconds each."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix=prefix, dir=shm))
    return Path(tempfile.mkdtemp(prefix=prefix))


@pytest.fixture(scope="session")
def service_template(database_server_url: str) -> Iterator[str]:
    """Name of a database holding every service's schema, migrated by the services' own
    migrations once per session; `service_database` copies it."""
    name = unique_name("dc_template")
    run_sync(lambda: build_service_template(database_server_url, name))
    try:
        yield name
    finally:
        run_sync(lambda: drop_database(database_server_url, name))


@pytest.fixture(scope="session")
def source_databases(database_server_url: str) -> Iterator[SourceDatabases]:
    """Data-source databases built once per session (see devstack.databases)."""
    sources = SourceDatabases(database_server_url)
    try:
        yield sources
    finally:
        run_sync(sources.drop_all)


# ---------------------------------------------------------------- a test's own


@contextlib.contextmanager
def _database(server_url: str, prefix: str, template: str | None = None) -> Iterator[str]:
    name = unique_name(prefix)
    url = run_sync(lambda: create_database(server_url, name, template))
    try:
        yield url
    finally:
        run_sync(lambda: drop_database(server_url, name))


@pytest.fixture
def fresh_database(database_server_url: str) -> Iterator[str]:
    """A new empty database for this test (dropped afterwards); yields its postgresql:// URL."""
    with _database(database_server_url, "dc_test") as url:
        yield url


@pytest.fixture
def service_database(database_server_url: str, service_template: str) -> Iterator[str]:
    """A new database with every service schema already migrated (services starting on it
    find nothing left to migrate); dropped afterwards."""
    with _database(database_server_url, "dc_test", service_template) as url:
        yield url


def new_subject_prefix() -> str:
    return f"dctest{uuid.uuid4().hex[:10]}"


async def delete_stream(nats_url: str, name: str) -> None:
    nc = await nats.connect(nats_url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await nc.jetstream().delete_stream(name)
    finally:
        await nc.close()


@pytest.fixture
def event_subject_prefix() -> str:
    """A subject prefix of this test's own (events go to `<prefix>.<service>.<entity>.<verb>`)."""
    return new_subject_prefix()


@pytest.fixture
def nats_stream(nats_url: str, event_subject_prefix: str) -> Iterator[str]:
    """A JetStream stream name of this test's own; the stream is deleted afterwards."""
    name = event_subject_prefix.upper()
    yield name
    run_sync(lambda: delete_stream(nats_url, name))


@pytest.fixture
def free_port() -> int:
    return _free_port()


def stack_env(database_url: str, nats_url: str, stream: str, prefix: str) -> dict[str, str]:
    """The shared DATACOMPASS_* settings pointing a service (or a whole stack) at a database,
    NATS server, stream and subject prefix."""
    return {
        "DATACOMPASS_DATABASE_URL": database_url,
        "DATACOMPASS_NATS_URL": nats_url,
        "DATACOMPASS_NATS_STREAM": stream,
        "DATACOMPASS_EVENT_SUBJECT_PREFIX": prefix,
    }


@pytest.fixture
def service_env(
    service_database: str, nats_url: str, nats_stream: str, event_subject_prefix: str
) -> dict[str, str]:
    """Settings pointing a service (or a whole stack) at this test's migrated database, NATS
    server, stream and subject prefix."""
    return stack_env(service_database, nats_url, nats_stream, event_subject_prefix)


# ---------------------------------------------------------------- a session's own


@pytest.fixture(scope="session")
def session_event_subject_prefix() -> str:
    return new_subject_prefix()


@pytest.fixture(scope="session")
def session_nats_stream(nats_url: str, session_event_subject_prefix: str) -> Iterator[str]:
    name = session_event_subject_prefix.upper()
    yield name
    run_sync(lambda: delete_stream(nats_url, name))


@pytest.fixture(scope="session")
def session_service_database(database_server_url: str, service_template: str) -> Iterator[str]:
    with _database(database_server_url, "dc_session", service_template) as url:
        yield url


@pytest.fixture(scope="session")
def session_service_env(
    session_service_database: str,
    nats_url: str,
    session_nats_stream: str,
    session_event_subject_prefix: str,
) -> dict[str, str]:
    return stack_env(
        session_service_database, nats_url, session_nats_stream, session_event_subject_prefix
    )


# ---------------------------------------------------------------- for fixtures of any scope


@contextlib.asynccontextmanager
async def temporary_database(
    server_url: str, prefix: str = "dc_test", template: str | None = None
) -> AsyncIterator[str]:
    """A database of its own (empty, or a copy of `template`), dropped afterwards."""
    name = unique_name(prefix)
    url = await create_database(server_url, name, template)
    try:
        yield url
    finally:
        await drop_database(server_url, name)


@contextlib.asynccontextmanager
async def temporary_stream(nats_url: str) -> AsyncIterator[tuple[str, str]]:
    """(stream, subject prefix) of their own; the stream is deleted afterwards."""
    prefix = new_subject_prefix()
    try:
        yield prefix.upper(), prefix
    finally:
        await delete_stream(nats_url, prefix.upper())


@contextlib.asynccontextmanager
async def scratch_database(
    server_url: str, sql: str = "", prefix: str = "dc_scratch"
) -> AsyncIterator[str]:
    """A database of its own on the test server (a data source to scan, say), set up with
    `sql` and dropped afterwards; yields its URL."""
    async with temporary_database(server_url, prefix) as url:
        if sql:
            await execute(url, sql)
        yield url


def repo_root() -> Path:
    return Path(__file__).resolve().parents[4]


async def eventually(
    probe: Callable[[], Awaitable[T | None]], within: float = 15.0, interval: float = 0.1
) -> T:
    """Poll `probe` until it returns something truthy and return that (events, audit records
    and deliveries arrive asynchronously); fail the test after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(interval)


def unreachable() -> str:
    """An address of the test's own where nothing listens (a service that is down), never a
    default one where `make run` may be listening."""
    return f"127.0.0.1:{_free_port()}"


@contextlib.asynccontextmanager
async def serve_asgi(app: Any, host: str, port: int) -> AsyncIterator[str]:
    """A real uvicorn server running `app` (lifespan on) in this event loop; yields its base
    URL and stops it on exit."""
    import uvicorn  # only the tests that serve HTTP need it

    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("server exited during startup")
                await asyncio.sleep(0.02)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
