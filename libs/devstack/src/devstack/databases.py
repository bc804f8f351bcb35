"""Databases for tests on one PostgreSQL server: created empty, copied from a template that
holds every service's migrated schema, or built once as a data source and shared.

`CREATE DATABASE … TEMPLATE` copies a database file by file: much cheaper than running five
services' Alembic migrations, or loading a source's rows, again for every test."""

from __future__ import annotations

import importlib
import typing
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
from pydantic import SecretStr

from devstack.backends import installed_backends
from devstack.urls import database_of, with_database

# Sets up a new, empty database given its URL (a data source's tables and rows, say).
Build = Callable[[str], Awaitable[None]]


async def execute(url: str, sql: str) -> None:
    """Run `sql` (one or more statements) on the database at `url` in its own connection."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """Create database `name` (empty, or a copy of `template`); returns its URL."""
    copy = f' TEMPLATE "{template}"' if template else ""
    await execute(server_url, f'CREATE DATABASE "{name}"{copy}')
    return with_database(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    await execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def freeze(server_url: str, name: str) -> None:
    """No more connections to `name`: a template must have none while it is copied."""
    await execute(server_url, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')


def sql_build(sql: str) -> Build:
    """A Build that runs `sql`."""

    async def build(url: str) -> None:
        if sql:
            await execute(url, sql)

    return build


async def migrate_services(url: str) -> None:
    """Every installed service's own `migrate()` (the one it runs at start-up: its real Alembic
    migrations into its own schema) on the database at `url`, one after the other (Alembic's
    context is process-global)."""
    for backend in installed_backends():
        app = importlib.import_module(f"{backend.package}.app")
        settings_type = typing.get_type_hints(app.migrate)["settings"]
        await app.migrate(settings_type.model_construct(database_url=SecretStr(url)))


async def build_service_template(server_url: str, name: str) -> str:
    """Database `name` with every service schema migrated to head, frozen as a template."""
    url = await create_database(server_url, name)
    try:
        await migrate_services(url)
    except BaseException:
        await drop_database(server_url, name)
        raise
    await freeze(server_url, name)
    return url


@dataclass
class SourceDatabases:
    """Data-source databases (tables and rows for services to scan, profile, check), each built
    once per test session from a key and a Build.

    `shared(key, …)` is one database every test reading that source uses: tests must not change
    it. `private(key, …)` is a copy of this test's own (dropped afterwards), for tests that
    change their source; copying is cheap, so it is also right for sources used once or twice."""

    server_url: str
    _templates: dict[str, str] = field(default_factory=dict)
    _shared: dict[str, str] = field(default_factory=dict)

    async def template(self, key: str, build: Build) -> str:
        """Name of the frozen database built once for `key`."""
        if key in self._templates:  # a key names one source: the first build is the one
            return self._templates[key]
        name = unique_name(f"dc_srctpl_{key}")
        url = await create_database(self.server_url, name)
        try:
            await build(url)
        except BaseException:
            await drop_database(self.server_url, name)
            raise
        await freeze(self.server_url, name)
        self._templates[key] = name
        return name

    async def shared(self, key: str, build: Build) -> str:
        """URL of the session's read-only database of source `key`."""
        if key not in self._shared:
            template = await self.template(key, build)
            name = unique_name(f"dc_src_{key}")
            self._shared[key] = await create_database(self.server_url, name, template)
        return self._shared[key]

    @asynccontextmanager
    async def private(self, key: str, build: Build) -> AsyncIterator[str]:
        """A copy of source `key` of this test's own; yields its URL."""
        template = await self.template(key, build)
        name = unique_name(f"dc_src_{key}")
        url = await create_database(self.server_url, name, template)
        try:
            yield url
        finally:
            await drop_database(self.server_url, name)

    async def drop_all(self) -> None:
        for url in self._shared.values():
            await drop_database(self.server_url, database_of(url))
        for name in self._templates.values():
            await drop_database(self.server_url, name)
        self._shared.clear()
        self._templates.clear()
