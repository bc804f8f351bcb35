"""Retention: published outbox rows, dead letters and processed-event rows older than their
retention are deleted (an injected clock decides "older"); unpublished rows never are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from dckit.clock import ManualClock
from dckit.outbox import dead_letter_for
from dckit.retention import Pruner
from dckit.service import retention_rules
from dckit.settings import BackendSettings

from .conftest import KitDb

NOW = datetime(2026, 6, 1, tzinfo=UTC)


async def _count(kit: KitDb, table: object) -> int:
    async with kit.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_expired_rows_are_pruned_and_pending_ones_kept(kit_db: KitDb) -> None:
    kit = kit_db
    dead = dead_letter_for(kit.outbox)
    day = timedelta(days=1)
    async with kit.db.session() as session:
        for i, published in enumerate([NOW - 8 * day, NOW - 6 * day, None, None]):
            await session.execute(
                insert(kit.outbox).values(
                    id=f"o{i}", event_type="t", payload=b"x", created_at=NOW - 30 * day,
                    published_at=published,
                )
            )  # fmt: skip
        for i, at in enumerate([NOW - 31 * day, NOW - 29 * day]):
            await session.execute(
                insert(dead).values(
                    id=f"d{i}", event_type="t", payload=b"x", created_at=at, error="e",
                    dead_lettered_at=at,
                )
            )  # fmt: skip
        for i, at in enumerate([NOW - 9 * day, NOW - 9 * day, NOW - 7 * day]):
            await session.execute(
                insert(kit.processed).values(
                    consumer=f"c{i % 2}", event_id=f"e{i}", processed_at=at
                )
            )
    settings = BackendSettings(database_url="postgresql://x@127.0.0.1:1/x")  # the defaults
    rules = retention_rules(settings, kit.outbox)
    assert [r.table.name for r in rules] == ["outbox", dead.name, "processed_events"]
    clock = ManualClock(NOW)
    pruner = Pruner(kit.db, "kittest", rules, batch_size=1, clock=clock)
    counts = await pruner.prune_once()
    assert counts == {"outbox": 1, dead.name: 1, "processed_events": 2}
    async with kit.db.session() as session:
        left = {r.id for r in await session.execute(select(kit.outbox.c.id))}
        assert left == {"o1", "o2", "o3"}  # the unpublished ones stay, however old
        kept = {r.event_id for r in await session.execute(select(kit.processed.c.event_id))}
        assert kept == {"e2"}
    assert await _count(kit, dead) == 1
    clock.advance(365 * 86400)
    await pruner.prune_once()
    assert await _count(kit, kit.outbox) == 2 and await _count(kit, kit.processed) == 0
    # 0 days = kept forever.
    forever = BackendSettings(database_url="postgresql://x@127.0.0.1:1/x", outbox_retention_days=0)
    assert [
        r.table.name for r in Pruner(kit.db, "k", retention_rules(forever, kit.outbox)).rules
    ] == [
        dead.name,
        "processed_events",
    ]
