"""Alembic migrations per service, each in its own PostgreSQL schema.

A service's `migrations/env.py` is two lines: it calls `run_env(metadata, schema)`.
`upgrade()` is what both the service's `migrate` command and its start-up call.
"""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from dckit.settings import to_asyncpg_url


def alembic_config(script_location: Path, database_url: str, schema: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["database_url"] = to_asyncpg_url(database_url)
    cfg.attributes["schema"] = schema
    return cfg


def upgrade(script_location: Path, database_url: str, schema: str, revision: str = "head") -> None:
    """Blocking; call from a thread when inside an event loop."""
    command.upgrade(alembic_config(script_location, database_url, schema), revision)


async def upgrade_async(script_location: Path, database_url: str, schema: str) -> None:
    await asyncio.to_thread(upgrade, script_location, database_url, schema)


def run_env(metadata: MetaData, schema: str) -> None:
    """Body of a service's env.py (online mode only: we always migrate a live database)."""
    url = context.config.attributes["database_url"]

    def migrate(conn: Connection) -> None:
        # Replicas starting together must not race: serialise on a per-schema advisory lock.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(schema)})
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=conn,
            target_metadata=metadata,
            version_table_schema=schema,
            # Autogenerate looks at our schema only; other services' schemas are not ours.
            include_schemas=True,
            include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(migrate)
        finally:
            await engine.dispose()

    asyncio.run(main())


def _lock_key(schema: str) -> int:
    return zlib.crc32(f"datacompass.migrations.{schema}".encode())
