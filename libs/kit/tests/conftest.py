"""Shared fixtures for the kit tests: a fresh database with an outbox, a processed-events
table and a scratch table for handler writes; a connected EventBus on this test's stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from dckit.bus import EventBus
from dckit.consumer import processed_events_table
from dckit.db import Database
from dckit.outbox import outbox_table


@dataclass
class KitDb:
    db: Database
    outbox: Table
    processed: Table
    items: Table


@pytest.fixture
async def kit_db(fresh_database: str) -> AsyncIterator[KitDb]:
    metadata = MetaData()
    outbox = outbox_table(metadata)
    processed = processed_events_table(metadata)
    items = Table(
        "items",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False),
    )
    db = Database(fresh_database, pool_size=5, instrument=False)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield KitDb(db, outbox, processed, items)
    finally:
        await db.dispose()


@pytest.fixture
async def bus(
    nats_url: str, nats_stream: str, event_subject_prefix: str
) -> AsyncIterator[EventBus]:
    bus = EventBus(nats_url, nats_stream, event_subject_prefix, "kit-test")
    await bus.connect()
    assert bus.connected
    try:
        yield bus
    finally:
        await bus.close()


async def eventually(
    check: Callable[[], Awaitable[bool]],
    within: float = 10.0,
    interval: float = 0.05,
    nudge: Callable[[], None] | None = None,
) -> None:
    """Poll `check` until it is true (fails the test after `timeout`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        if await check():
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        if nudge is not None:
            nudge()
        await asyncio.sleep(interval)


@pytest.fixture
def wait_until() -> Callable[..., Awaitable[None]]:
    return eventually
