"""The embedded servers are real, bound to 127.0.0.1, and leave no process behind."""

from __future__ import annotations

import asyncio
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


# ---------------------------------------------------------------- unclean stops (issue 20)


def _power_loss(*servers: EmbeddedPostgres | EmbeddedNats) -> None:
    """Every server SIGKILLed, as a power cut or `kill -9` leaves them: pid files and stores
    stay behind, nothing is cleaned up."""
    for server in servers:
        assert server.proc is not None
        server.proc.kill()
        server.proc.wait()
        server.proc = None


async def test_postgres_starts_after_a_kill_leaving_a_dead_pid_in_postmaster_pid(
    pg_root: Path,
) -> None:
    """Regression: `make run` crashed with psutil.NoSuchProcess in _stop_stale_server."""
    pg = EmbeddedPostgres(pg_root)
    pg.start()
    conn = await asyncpg.connect(pg.url())
    # The dev server runs with synchronous_commit=off: a commit reaches the WAL within ~0.6 s.
    await conn.execute("set synchronous_commit = on")
    await conn.execute("create table kept(x int); insert into kept values (7)")
    await conn.close()
    dead = pg.pid
    _power_loss(pg)
    pg.stop()
    pidfile = pg_root / "pgdata" / "postmaster.pid"
    assert pidfile.exists() and pidfile.read_text().split()[0] == str(dead)
    with EmbeddedPostgres(pg_root, port=pg.port) as again:
        conn = await asyncpg.connect(again.url())
        assert await conn.fetchval("select x from kept") == 7
        await conn.close()


async def test_postgres_starts_when_postmaster_pid_names_a_live_stranger(pg_root: Path) -> None:
    """The pid of a dead postmaster reused by another process: not ours to stop, and the
    file must not keep PostgreSQL from starting."""
    with EmbeddedPostgres(pg_root):
        pass
    stranger = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(60)"
    )
    try:
        pidfile = pg_root / "pgdata" / "postmaster.pid"
        pidfile.write_text(f"{stranger.pid}\n{pg_root / 'pgdata'}\n")
        with EmbeddedPostgres(pg_root) as pg:
            conn = await asyncpg.connect(pg.url())
            await conn.close()
        assert stranger.returncode is None  # left alone
    finally:
        stranger.kill()
        await stranger.wait()


async def test_nats_starts_after_a_kill_and_keeps_its_stream(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path / "nats")
    server.start()
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    await js.add_stream(name="KEPT", subjects=["kept.>"])
    await js.publish("kept.one", b"1")
    await nc.close()
    _power_loss(server)
    server.stop()
    with EmbeddedNats(tmp_path / "nats", port=server.port) as again:
        nc = await nats.connect(again.url)
        info = await nc.jetstream().stream_info("KEPT")
        await nc.close()
    assert info.state.messages == 1


def test_a_server_left_running_on_our_data_is_stopped_before_starting(tmp_path: Path) -> None:
    """An old nats-server still holding our store and port (a supervisor killed a moment
    ago, its children still shutting down) is stopped; a start does not fail on the port."""
    old = EmbeddedNats(tmp_path / "nats")
    old.start()
    assert old.proc is not None
    old_proc, old.proc = old.proc, None  # forgotten, as by a killed supervisor
    try:
        with EmbeddedNats(tmp_path / "nats", port=old.port) as again:
            assert old_proc.poll() is not None
            assert port_open(again.port)
    finally:
        if old_proc.poll() is None:
            old_proc.kill()
        old_proc.wait()
