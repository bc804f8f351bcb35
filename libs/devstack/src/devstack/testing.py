"""pytest plugin (loaded with `-p devstack.testing`): real PostgreSQL and NATS for every test.

Servers are embedded and started once per session unless `DATACOMPASS_DATABASE_URL` /
`DATACOMPASS_NATS_URL` point at running ones. Each test gets its own database and its own
JetStream stream + subject prefix, so tests never see each other's rows or events."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import nats
import pytest

from devstack.embedded import EmbeddedNats, EmbeddedPostgres
from devstack.embedded import free_port as _free_port
from devstack.urls import plain, with_database

T = TypeVar("T")


def pytest_configure(config: pytest.Config) -> None:
    # One internal service credential per test session, shared by in-process services and any
    # subprocess a test starts (dckit.internal_auth); a stack's own setting still wins.
    os.environ.setdefault("DATACOMPASS_INTERNAL_TOKEN", "dc_int_test_" + uuid.uuid4().hex)
    # The CLI saves logins under the user's config dir: never the real one during tests.
    os.environ.setdefault(
        "DATACOMPASS_CREDENTIALS_FILE",
        str(Path(tempfile.mkdtemp(prefix="dc-test-cli-")) / "credentials.json"),
    )


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


@pytest.fixture(scope="session")
def database_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a PostgreSQL server (database `postgres`) the tests may create databases on."""
    external = os.environ.get("DATACOMPASS_DATABASE_URL")
    if external:
        yield plain(external)
        return
    # Not under pytest's basetemp: another pytest session resets that tree to mode 0700, which
    # locks out the unprivileged user PostgreSQL runs as when we are root.
    root = Path(tempfile.mkdtemp(prefix="dc-test-pg-"))
    server = EmbeddedPostgres(root)
    server.start()
    try:
        yield server.url()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("DATACOMPASS_NATS_URL")
    if external:
        yield external
        return
    server = EmbeddedNats(tmp_path_factory.mktemp("nats"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def fresh_database(database_server_url: str) -> Iterator[str]:
    """A new empty database for this test (dropped afterwards); yields its postgresql:// URL."""
    name = f"dc_test_{uuid.uuid4().hex[:12]}"
    run_sync(lambda: execute(database_server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(database_server_url, name)
    finally:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        run_sync(lambda: execute(database_server_url, drop))


async def execute(url: str, sql: str) -> None:
    """Run `sql` (one or more statements) on the database at `url` in its own connection."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def event_subject_prefix() -> str:
    """A subject prefix of this test's own (events go to `<prefix>.<service>.<entity>.<verb>`)."""
    return f"dctest{uuid.uuid4().hex[:10]}"


@pytest.fixture
def nats_stream(nats_url: str, event_subject_prefix: str) -> Iterator[str]:
    """A JetStream stream name of this test's own; the stream is deleted afterwards."""
    name = event_subject_prefix.upper()
    yield name

    async def delete() -> None:
        nc = await nats.connect(nats_url, connect_timeout=2, max_reconnect_attempts=0)
        try:
            js = nc.jetstream()
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.delete_stream(name)
        finally:
            await nc.close()

    run_sync(delete)


@pytest.fixture
def free_port() -> int:
    return _free_port()


@pytest.fixture
def service_env(
    fresh_database: str, nats_url: str, nats_stream: str, event_subject_prefix: str
) -> dict[str, str]:
    """The shared DATACOMPASS_* settings pointing a service (or a whole stack) at this test's
    database, NATS server, stream and subject prefix."""
    return {
        "DATACOMPASS_DATABASE_URL": fresh_database,
        "DATACOMPASS_NATS_URL": nats_url,
        "DATACOMPASS_NATS_STREAM": nats_stream,
        "DATACOMPASS_EVENT_SUBJECT_PREFIX": event_subject_prefix,
    }


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


@contextlib.asynccontextmanager
async def scratch_database(
    server_url: str, sql: str = "", prefix: str = "dc_scratch"
) -> AsyncIterator[str]:
    """A database of its own on the test server (a data source to scan, say), set up with
    `sql` and dropped afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await execute(server_url, f'CREATE DATABASE "{name}"')
    try:
        url = with_database(server_url, name)
        if sql:
            await execute(url, sql)
        yield url
    finally:
        await execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
