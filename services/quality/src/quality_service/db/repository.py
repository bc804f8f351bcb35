"""All SQL on the quality service's own tables. Methods take the caller's session (one
transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.errors import AlreadyExists
from quality_service.db.tables import dq_breaches, dq_configs, dq_expectations, dq_results, dq_runs

Row = RowMapping


@dataclass(frozen=True)
class BreachFilter:
    status: Sequence[str] = ()
    priority: Sequence[str] = ()
    object_ref: str = ""
    config_id: int = 0
    expectation_id: int = 0
    since: date | None = None


class QualityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ configs
    async def insert_config(self, values: dict[str, Any]) -> Row:
        try:
            async with self.s.begin_nested():
                res = await self.s.execute(
                    insert(dq_configs).values(**values).returning(dq_configs)
                )
                return res.mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(f"{values['object_ref']} already has a DQ config") from exc

    async def get_config(self, config_id: int, *, for_update: bool = False) -> Row | None:
        query = select(dq_configs).where(dq_configs.c.id == config_id)
        if for_update:
            query = query.with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def config_by_ref(self, object_ref: str) -> Row | None:
        query = select(dq_configs).where(dq_configs.c.object_ref == object_ref)
        return (await self.s.execute(query)).mappings().first()

    async def list_configs(self, object_ref: str, offset: int, limit: int) -> Sequence[Row]:
        query = select(dq_configs).order_by(dq_configs.c.id).offset(offset).limit(limit)
        if object_ref:
            query = query.where(dq_configs.c.object_ref == object_ref)
        return (await self.s.execute(query)).mappings().all()

    async def update_config(self, config_id: int, values: dict[str, Any]) -> Row:
        query = (
            update(dq_configs)
            .where(dq_configs.c.id == config_id)
            .values(**values, updated_at=func.now())
            .returning(dq_configs)
        )
        return (await self.s.execute(query)).mappings().one()

    async def delete_config(self, config_id: int) -> None:
        await self.s.execute(delete(dq_configs).where(dq_configs.c.id == config_id))

    # ------------------------------------------------------------ expectations
    async def insert_expectation(self, values: dict[str, Any]) -> Row:
        try:
            async with self.s.begin_nested():
                res = await self.s.execute(
                    insert(dq_expectations).values(**values).returning(dq_expectations)
                )
                return res.mappings().one()
        except IntegrityError as exc:
            col = f" on {values['column_name']}" if values.get("column_name") else ""
            raise AlreadyExists(
                f"this config already has a {values['metric_type']} expectation{col}"
            ) from exc

    async def get_expectation(self, expectation_id: int, *, for_update: bool = False) -> Row | None:
        query = select(dq_expectations).where(dq_expectations.c.id == expectation_id)
        if for_update:
            query = query.with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def expectations(self, config_ids: Sequence[int]) -> Sequence[Row]:
        query = (
            select(dq_expectations)
            .where(dq_expectations.c.config_id.in_(config_ids))
            .order_by(dq_expectations.c.id)
        )
        return (await self.s.execute(query)).mappings().all()

    async def update_expectation(self, expectation_id: int, values: dict[str, Any]) -> Row:
        query = (
            update(dq_expectations)
            .where(dq_expectations.c.id == expectation_id)
            .values(**values, updated_at=func.now())
            .returning(dq_expectations)
        )
        return (await self.s.execute(query)).mappings().one()

    async def delete_expectation(self, expectation_id: int) -> None:
        await self.s.execute(delete(dq_expectations).where(dq_expectations.c.id == expectation_id))

    # ------------------------------------------------------------ runs
    async def insert_run(self, values: dict[str, Any]) -> Row:
        res = await self.s.execute(insert(dq_runs).values(**values).returning(dq_runs))
        return res.mappings().one()

    async def get_run(self, run_id: int) -> Row | None:
        query = select(dq_runs).where(dq_runs.c.id == run_id)
        return (await self.s.execute(query)).mappings().first()

    async def list_runs(self, config_id: int, offset: int, limit: int) -> Sequence[Row]:
        query = select(dq_runs).order_by(dq_runs.c.id.desc()).offset(offset).limit(limit)
        if config_id:
            query = query.where(dq_runs.c.config_id == config_id)
        return (await self.s.execute(query)).mappings().all()

    async def update_run(self, run_id: int, values: dict[str, Any]) -> Row:
        query = update(dq_runs).where(dq_runs.c.id == run_id).values(**values).returning(dq_runs)
        return (await self.s.execute(query)).mappings().one()

    async def active_run(self, config_id: int) -> Row | None:
        query = select(dq_runs).where(
            dq_runs.c.config_id == config_id, dq_runs.c.status.in_(("pending", "running"))
        )
        return (await self.s.execute(query.limit(1))).mappings().first()

    async def fail_stale_runs(self, stale_seconds: float, error: str) -> Sequence[Row]:
        """Runs whose worker stopped heart-beating (its process died) end failed."""
        cutoff = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, stale_seconds)
        query = (
            update(dq_runs)
            .where(
                dq_runs.c.status.in_(("pending", "running")),
                or_(dq_runs.c.heartbeat_at.is_(None), dq_runs.c.heartbeat_at < cutoff),
                dq_runs.c.created_at < cutoff,
            )
            .values(status="failed", error=error, finished_at=func.now())
            .returning(dq_runs)
        )
        return (await self.s.execute(query)).mappings().all()

    # ------------------------------------------------------------ results
    async def history(
        self, expectation_id: int, before: date, exclude: Sequence[date], limit: int
    ) -> list[tuple[date, float]]:
        """The latest `limit` earlier measured, non-breaching values (oldest first)."""
        query = (
            select(dq_results.c.bucket, dq_results.c.value)
            .where(
                dq_results.c.expectation_id == expectation_id,
                dq_results.c.bucket < before,
                dq_results.c.status.in_(("ok", "learning")),
                dq_results.c.value.is_not(None),
            )
            .order_by(dq_results.c.bucket.desc())
            .limit(limit)
        )
        if exclude:
            query = query.where(dq_results.c.bucket.not_in(exclude))
        rows = (await self.s.execute(query)).all()
        return [(r.bucket, r.value) for r in reversed(rows)]

    async def upsert_results(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        stmt = pg_insert(dq_results).values(list(rows))
        # Re-running a bucket replaces its result: idempotent by (expectation, bucket).
        stmt = stmt.on_conflict_do_update(
            constraint="uq_result_bucket",
            set_={
                c: stmt.excluded[c]
                for c in (
                    "status",
                    "value",
                    "threshold_low",
                    "threshold_high",
                    "threshold",
                    "error",
                    "run_id",
                    "executed_at",
                )
            },
        )
        await self.s.execute(stmt)

    async def results(self, expectation_id: int, since: date) -> Sequence[Row]:
        query = (
            select(dq_results)
            .where(dq_results.c.expectation_id == expectation_id, dq_results.c.bucket >= since)
            .order_by(dq_results.c.bucket)
        )
        return (await self.s.execute(query)).mappings().all()

    async def latest_results(self, expectation_ids: Sequence[int]) -> dict[int, Row]:
        query = (
            select(dq_results)
            .where(dq_results.c.expectation_id.in_(expectation_ids))
            .distinct(dq_results.c.expectation_id)
            .order_by(dq_results.c.expectation_id, dq_results.c.bucket.desc())
        )
        return {r["expectation_id"]: r for r in (await self.s.execute(query)).mappings()}

    # ------------------------------------------------------------ breaches
    async def breaches_for(self, expectation_id: int, buckets: Sequence[date]) -> dict[date, Row]:
        query = (
            select(dq_breaches)
            .where(
                dq_breaches.c.expectation_id == expectation_id, dq_breaches.c.bucket.in_(buckets)
            )
            .with_for_update()
        )
        return {r["bucket"]: r for r in (await self.s.execute(query)).mappings()}

    async def insert_breach(self, values: dict[str, Any]) -> Row:
        res = await self.s.execute(insert(dq_breaches).values(**values).returning(dq_breaches))
        return res.mappings().one()

    async def update_breach(self, breach_id: int, values: dict[str, Any]) -> Row:
        query = (
            update(dq_breaches)
            .where(dq_breaches.c.id == breach_id)
            .values(**values, updated_at=func.now())
            .returning(dq_breaches)
        )
        return (await self.s.execute(query)).mappings().one()

    async def get_breach(self, breach_id: int, *, for_update: bool = False) -> Row | None:
        query = _breach_select().where(dq_breaches.c.id == breach_id)
        if for_update:
            query = query.with_for_update(of=dq_breaches)
        return (await self.s.execute(query)).mappings().first()

    async def list_breaches(self, f: BreachFilter, offset: int, limit: int) -> Sequence[Row]:
        query = _breach_select()
        conds: list[Any] = []
        if f.status:
            conds.append(dq_breaches.c.status.in_(f.status))
        if f.priority:
            conds.append(dq_breaches.c.priority.in_(f.priority))
        if f.object_ref:
            conds.append(dq_configs.c.object_ref == f.object_ref)
        if f.config_id:
            conds.append(dq_breaches.c.config_id == f.config_id)
        if f.expectation_id:
            conds.append(dq_breaches.c.expectation_id == f.expectation_id)
        if f.since:
            conds.append(dq_breaches.c.bucket >= f.since)
        if conds:
            query = query.where(and_(*conds))
        query = query.order_by(dq_breaches.c.bucket.desc(), dq_breaches.c.id.desc())
        return (await self.s.execute(query.offset(offset).limit(limit))).mappings().all()

    async def breach_counts(self, expectation_ids: Sequence[int], since: date) -> dict[int, int]:
        query = (
            select(dq_breaches.c.expectation_id, func.count())
            .where(dq_breaches.c.expectation_id.in_(expectation_ids), dq_breaches.c.bucket >= since)
            .group_by(dq_breaches.c.expectation_id)
        )
        return {r[0]: r[1] for r in (await self.s.execute(query)).all()}

    async def open_breaches(self, config_id: int | None = None) -> dict[str, int]:
        """Open (or acknowledged) breaches by priority."""
        query = (
            select(dq_breaches.c.priority, func.count())
            .where(dq_breaches.c.status.in_(("open", "acknowledged")))
            .group_by(dq_breaches.c.priority)
        )
        if config_id is not None:
            query = query.where(dq_breaches.c.config_id == config_id)
        return {r[0]: r[1] for r in (await self.s.execute(query)).all()}


def _breach_select() -> Any:
    return select(
        dq_breaches,
        dq_configs.c.object_ref,
        dq_expectations.c.metric_type,
        dq_expectations.c.column_name,
    ).select_from(
        dq_breaches.join(
            dq_expectations, dq_expectations.c.id == dq_breaches.c.expectation_id
        ).join(dq_configs, dq_configs.c.id == dq_breaches.c.config_id)
    )
