from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import asyncpg
import pytest

from dckit.migrations import upgrade_async

SCHEMA = "kitmig"

ENV_PY = f"""
from sqlalchemy import MetaData

from dckit.migrations import run_env

run_env(MetaData(schema={SCHEMA!r}), {SCHEMA!r})
"""

REVISION = f"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Slow on purpose: concurrent upgrades overlap, so a missing lock shows up as a collision.
    op.execute("SELECT pg_sleep(0.7)")
    op.create_table(
        "widgets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        schema={SCHEMA!r},
    )


def downgrade() -> None:
    op.drop_table("widgets", schema={SCHEMA!r})
"""


@pytest.fixture
def script_dir(tmp_path: Path) -> Path:
    root = tmp_path / "migrations"
    (root / "versions").mkdir(parents=True)
    (root / "env.py").write_text(ENV_PY)
    (root / "versions" / "0001_widgets.py").write_text(REVISION)
    return root


async def _tables(url: str) -> set[tuple[str, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        return {(r["table_schema"], r["table_name"]) for r in rows}
    finally:
        await conn.close()


async def _version(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [
            r[0] for r in await conn.fetch(f'SELECT version_num FROM "{SCHEMA}".alembic_version')
        ]
    finally:
        await conn.close()


async def test_upgrade_creates_schema_and_version_table(
    script_dir: Path, fresh_database: str
) -> None:
    await upgrade_async(script_dir, fresh_database, SCHEMA)
    tables = await _tables(fresh_database)
    assert (SCHEMA, "widgets") in tables
    assert (SCHEMA, "alembic_version") in tables
    assert ("public", "alembic_version") not in tables
    assert await _version(fresh_database) == ["0001"]

    # Second run: nothing to do, nothing breaks.
    await upgrade_async(script_dir, fresh_database, SCHEMA)
    assert await _tables(fresh_database) == tables
    assert await _version(fresh_database) == ["0001"]


@pytest.mark.stack  # starts processes
async def test_concurrent_upgrades_do_not_collide(script_dir: Path, fresh_database: str) -> None:
    # Separate processes, like replicas starting together (alembic's context is process-global).
    code = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from dckit.migrations import upgrade
        upgrade(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
        """
    )
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            str(script_dir),
            fresh_database,
            SCHEMA,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    results = await asyncio.gather(*(p.communicate() for p in procs))
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
    assert (SCHEMA, "widgets") in await _tables(fresh_database)
    assert await _version(fresh_database) == ["0001"]
