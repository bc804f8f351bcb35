"""Real servers for benchmarks: external ones from DATACOMPASS_DATABASE_URL / _NATS_URL,
otherwise embedded PostgreSQL and NATS in a temporary directory."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from devstack.embedded import EmbeddedNats, EmbeddedPostgres


@dataclass(frozen=True)
class Servers:
    database_url: str  # postgresql:// URL of a server database where we may CREATE DATABASE
    nats_url: str


@contextmanager
def servers() -> Iterator[Servers]:
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dc-bench-")))
        db = os.environ.get("DATACOMPASS_DATABASE_URL")
        if not db:
            db = stack.enter_context(EmbeddedPostgres(root / "pg")).url()
        nats = os.environ.get("DATACOMPASS_NATS_URL")
        if not nats:
            nats = stack.enter_context(EmbeddedNats(root / "nats")).url
        yield Servers(db.replace("postgresql+asyncpg://", "postgresql://"), nats)


async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    out = await fn()
    return time.perf_counter() - start, out


async def count_floor(url: str, sql: str, rows: int, runs: int = 3) -> float:
    """Median seconds of a bare `count(*)` (`sql`) after a warm-up: the floor every
    benchmark compares with. Fails when it does not count `rows`."""
    conn = await asyncpg.connect(url)
    try:
        await conn.fetchval(sql)  # warm-up
        times = []
        for _ in range(runs):
            elapsed, n = await timed(lambda: conn.fetchval(sql))
            if n != rows:
                raise RuntimeError(f"count(*) returned {n}, expected {rows}")
            times.append(elapsed)
        return statistics.median(times)
    finally:
        await conn.close()


async def drop_databases(server_url: str, *names: str) -> None:
    admin = await asyncpg.connect(server_url)
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
