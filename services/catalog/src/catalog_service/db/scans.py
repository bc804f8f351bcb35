"""SQL of metadata scan runs, and where their leases live (dckit.leases). Methods run in the
caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.tables import scan_runs, sources
from dckit.db import fetch_all, fetch_first
from dckit.errors import Conflict
from dckit.leases import LeaseTable

Record = dict[str, Any]


def _duration(table: Table, now: ColumnElement[Any]) -> dict[str, Any]:
    # Wall time of the run, from the database clock like started_at.
    return {
        "duration_ms": func.floor(func.extract("epoch", func.now() - table.c.started_at) * 1000)
    }


# A running scan is leased; a lost one ends failed with its duration.
SCAN_LEASES = LeaseTable(scan_runs, active=("running",), failed="failed", on_fail=_duration)


def _runs() -> Select[Any]:
    return select(
        *scan_runs.c,
        sources.c.name.label("source_name"),
        sources.c.source_type.label("source_type"),
    ).join(sources, sources.c.id == scan_runs.c.source_id)


class ScanRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def insert(
        self, *, source_id: int, source_name: str, triggered_by: str, lease: Mapping[str, Any]
    ) -> Record:
        try:
            async with self.s.begin_nested():
                scan_id = await self.s.scalar(
                    insert(scan_runs)
                    .values(
                        source_id=source_id, status="running", triggered_by=triggered_by, **lease
                    )
                    .returning(scan_runs.c.id)
                )
        except IntegrityError as exc:
            raise Conflict(f"a scan of source {source_name!r} is already running") from exc
        row = await self.get(int(scan_id or 0))
        assert row is not None
        return row

    async def finish(self, scan_id: int, values: Mapping[str, Any]) -> Record | None:
        await self.s.execute(
            update(scan_runs)
            .where(scan_runs.c.id == scan_id)
            .values(**values, finished_at=func.now(), **_duration(scan_runs, func.now()))
        )
        return await self.get(scan_id)

    async def get(self, scan_id: int) -> Record | None:
        return await fetch_first(self.s, _runs().where(scan_runs.c.id == scan_id))

    async def page(self, source_id: int, offset: int, count: int) -> list[Record]:
        query = (
            _runs()
            .where(scan_runs.c.source_id == source_id)
            .order_by(scan_runs.c.started_at.desc(), scan_runs.c.id.desc())
            .offset(offset)
            .limit(count)
        )
        return await fetch_all(self.s, query)

    async def last_of(self, source_ids: Sequence[int]) -> dict[int, Record]:
        """Each source's newest run."""
        if not source_ids:
            return {}
        query = (
            _runs()
            .where(scan_runs.c.source_id.in_(source_ids))
            .distinct(scan_runs.c.source_id)
            .order_by(scan_runs.c.source_id, scan_runs.c.started_at.desc(), scan_runs.c.id.desc())
        )
        return {r["source_id"]: r for r in await fetch_all(self.s, query)}

    async def progress(self, scan_id: int, done: int, total: int) -> None:
        await self.s.execute(
            update(scan_runs)
            .where(scan_runs.c.id == scan_id, scan_runs.c.status == "running")
            .values(objects_done=done, objects_total=total)
        )

    async def cancel_requested(self, scan_id: int) -> bool:
        return bool(
            await self.s.scalar(
                select(scan_runs.c.cancel_requested).where(scan_runs.c.id == scan_id)
            )
        )

    async def request_cancel(self, scan_id: int) -> None:
        await self.s.execute(
            update(scan_runs)
            .where(scan_runs.c.id == scan_id, scan_runs.c.status == "running")
            .values(cancel_requested=True)
        )
