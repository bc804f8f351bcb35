"""The embedded servers are real, bound to 127.0.0.1, and leave no process behind."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import nats
import psutil
import pytest

from devstack.embedded import EmbeddedError, EmbeddedNats, EmbeddedPostgres, port_open

pytestmark = pytest.mark.stack  # starts services or servers in its tests


@pytest.fixture
def pg_root() -> Iterator[Path]:
    """A data directory outside pytest's basetemp: another pytest session on the machine resets
    that tree to mode 0700, locking out the unprivileged user PostgreSQL runs as under root
    (the same reason devstack.testing keeps its server in tempfile.mkdtemp)."""
    root = Path(tempfile.mkdtemp(prefix="dc-test-embedded-"))
    try:
        yield root / "pg"
    finally:
        shutil.rmtree(root, ignore_errors=True)


async def test_embedded_postgres_serves_sql_and_stops(pg_root: Path) -> None:
    with EmbeddedPostgres(pg_root) as pg:
        conn = await asyncpg.connect(pg.url())
        try:
            assert await conn.fetchval("select current_setting('listen_addresses')") == "127.0.0.1"
        finally:
            await conn.close()
        pid = pg.pid
    assert pid is not None and not psutil.pid_exists(pid)
    assert not port_open(pg.port)


async def test_embedded_postgres_keeps_data_across_restarts(pg_root: Path) -> None:
    root = pg_root
    with EmbeddedPostgres(root) as pg:
        conn = await asyncpg.connect(pg.url())
        await conn.execute("create table kept(x int); insert into kept values (7)")
        await conn.close()
    with EmbeddedPostgres(root) as pg:
        conn = await asyncpg.connect(pg.url())
        assert await conn.fetchval("select x from kept") == 7
        await conn.close()


async def test_embedded_nats_has_jetstream(tmp_path: Path) -> None:
    with EmbeddedNats(tmp_path / "nats") as server:
        nc = await nats.connect(server.url)
        info = await nc.jetstream().account_info()
        await nc.close()
        assert info.limits is not None


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with EmbeddedNats(tmp_path / "a") as first, pytest.raises(EmbeddedError, match="in use"):
        EmbeddedNats(tmp_path / "b", port=first.port).start()


def test_servers_die_with_a_killed_parent(tmp_path: Path, pg_root: Path) -> None:
    """SIGKILL of the owning process must not orphan postgres or nats-server."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from devstack.embedded import EmbeddedNats, EmbeddedPostgres
        pg = EmbeddedPostgres(Path({str(pg_root)!r})); pg.start()
        nt = EmbeddedNats(Path({str(tmp_path / "nats")!r})); nt.start()
        print(pg.pid, nt.pid, flush=True)
        time.sleep(600)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(pids) == 2 and all(psutil.pid_exists(p) for p in pids)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
