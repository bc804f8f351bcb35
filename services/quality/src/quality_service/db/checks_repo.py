"""SQL on the quality rules, check runs and column profile tables. Methods take the caller's
session (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.errors import AlreadyExists
from quality_service.db.repository import Row
from quality_service.db.tables import (
    column_profiles,
    profile_runs,
    quality_check_runs,
    quality_checks,
    quality_rules,
)


class ChecksRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # ------------------------------------------------------------ rules
    async def insert_rule(self, values: dict[str, Any]) -> Row:
        try:
            async with self.s.begin_nested():
                res = await self.s.execute(
                    insert(quality_rules).values(**values).returning(quality_rules)
                )
                return res.mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(
                f"{values['object_ref']} already has a quality rule named {values['name']!r}"
            ) from exc

    async def get_rule(self, rule_id: int, *, for_update: bool = False) -> Row | None:
        query = select(quality_rules).where(quality_rules.c.id == rule_id)
        if for_update:
            query = query.with_for_update()
        return (await self.s.execute(query)).mappings().first()

    async def rules(
        self, object_ref: str, column: str = "", *, enabled_only: bool = False
    ) -> Sequence[Row]:
        query = (
            select(quality_rules)
            .where(quality_rules.c.object_ref == object_ref)
            .order_by(quality_rules.c.id)
        )
        if column:
            query = query.where(quality_rules.c.column_name == column)
        if enabled_only:
            query = query.where(quality_rules.c.enabled)
        return (await self.s.execute(query)).mappings().all()

    async def update_rule(self, rule_id: int, values: dict[str, Any]) -> Row:
        query = (
            update(quality_rules)
            .where(quality_rules.c.id == rule_id)
            .values(**values, updated_at=func.now())
            .returning(quality_rules)
        )
        try:
            async with self.s.begin_nested():
                return (await self.s.execute(query)).mappings().one()
        except IntegrityError as exc:
            raise AlreadyExists(
                f"another rule of this object is named {values.get('name')!r}"
            ) from exc

    async def delete_rule(self, rule_id: int) -> None:
        await self.s.execute(delete(quality_rules).where(quality_rules.c.id == rule_id))

    # ------------------------------------------------------------ check runs
    async def insert_run(self, values: dict[str, Any]) -> Row:
        res = await self.s.execute(
            insert(quality_check_runs).values(**values).returning(quality_check_runs)
        )
        return res.mappings().one()

    async def finish_run(self, run_id: int, values: dict[str, Any]) -> Row:
        query = (
            update(quality_check_runs)
            .where(quality_check_runs.c.id == run_id)
            .values(**values, finished_at=func.now())
            .returning(quality_check_runs)
        )
        return (await self.s.execute(query)).mappings().one()

    async def fail_stale_check_runs(self, stale_seconds: float) -> int:
        res = await self.s.execute(
            update(quality_check_runs)
            .where(
                quality_check_runs.c.status == "running",
                quality_check_runs.c.started_at
                < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, stale_seconds),
            )
            .values(
                status="error",
                error="interrupted: the service running it stopped",
                finished_at=func.now(),
            )
        )
        return int(res.rowcount or 0)  # type: ignore[attr-defined]

    async def insert_checks(self, rows: Sequence[dict[str, Any]]) -> Sequence[Row]:
        if not rows:
            return []
        res = await self.s.execute(
            insert(quality_checks).values(list(rows)).returning(quality_checks)
        )
        return sorted(res.mappings().all(), key=lambda r: r["id"])

    async def get_run(self, run_id: int) -> Row | None:
        query = select(quality_check_runs).where(quality_check_runs.c.id == run_id)
        return (await self.s.execute(query)).mappings().first()

    async def list_runs(self, object_ref: str, offset: int, limit: int) -> Sequence[Row]:
        query = (
            select(quality_check_runs)
            .order_by(quality_check_runs.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        if object_ref:
            query = query.where(quality_check_runs.c.object_ref == object_ref)
        return (await self.s.execute(query)).mappings().all()

    async def checks_of(self, run_ids: Sequence[int]) -> Sequence[Row]:
        if not run_ids:
            return []
        query = (
            select(quality_checks)
            .where(quality_checks.c.run_id.in_(list(run_ids)))
            .order_by(quality_checks.c.id)
        )
        return (await self.s.execute(query)).mappings().all()

    async def latest_checks(self, rule_ids: Sequence[int]) -> Sequence[Row]:
        """The newest check of each rule (what the quality score reflects)."""
        if not rule_ids:
            return []
        query = (
            select(quality_checks)
            .where(quality_checks.c.rule_id.in_(list(rule_ids)))
            .distinct(quality_checks.c.rule_id)
            .order_by(quality_checks.c.rule_id, quality_checks.c.id.desc())
        )
        return (await self.s.execute(query)).mappings().all()

    # ------------------------------------------------------------ profiles
    async def insert_profile_run(self, values: dict[str, Any]) -> Row:
        res = await self.s.execute(insert(profile_runs).values(**values).returning(profile_runs))
        return res.mappings().one()

    async def progress(self, run_id: int, done: int, total: int) -> None:
        # Progress callbacks may land out of order: never move backwards.
        await self.s.execute(
            update(profile_runs)
            .where(profile_runs.c.id == run_id, profile_runs.c.steps_done <= done)
            .values(steps_done=done, steps_total=total, heartbeat_at=func.now())
        )

    async def heartbeat(self, run_id: int) -> None:
        await self.s.execute(
            update(profile_runs).where(profile_runs.c.id == run_id).values(heartbeat_at=func.now())
        )

    async def finish_profile_run(self, run_id: int, values: dict[str, Any]) -> Row:
        query = (
            update(profile_runs)
            .where(profile_runs.c.id == run_id)
            .values(**values, finished_at=func.now())
            .returning(profile_runs)
        )
        return (await self.s.execute(query)).mappings().one()

    async def get_profile_run(self, run_id: int) -> Row | None:
        query = select(profile_runs).where(profile_runs.c.id == run_id)
        return (await self.s.execute(query)).mappings().first()

    async def latest_profile_run(self, object_ref: str) -> Row | None:
        query = (
            select(profile_runs)
            .where(profile_runs.c.object_ref == object_ref, profile_runs.c.status == "succeeded")
            .order_by(profile_runs.c.id.desc())
            .limit(1)
        )
        return (await self.s.execute(query)).mappings().first()

    async def fail_stale_profile_runs(self, stale_seconds: float) -> int:
        res = await self.s.execute(
            update(profile_runs)
            .where(
                profile_runs.c.status == "running",
                profile_runs.c.heartbeat_at
                < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, stale_seconds),
            )
            .values(
                status="failed",
                error="interrupted: the service running it stopped",
                finished_at=func.now(),
            )
        )
        return int(res.rowcount or 0)  # type: ignore[attr-defined]

    async def insert_profiles(self, rows: Sequence[dict[str, Any]]) -> Sequence[Row]:
        if not rows:
            return []
        res = await self.s.execute(
            insert(column_profiles).values(list(rows)).returning(column_profiles)
        )
        return sorted(res.mappings().all(), key=lambda r: r["id"])

    async def profiles_of(self, run_id: int) -> Sequence[Row]:
        query = (
            select(column_profiles)
            .where(column_profiles.c.profile_run_id == run_id)
            .order_by(column_profiles.c.id)
        )
        return (await self.s.execute(query)).mappings().all()

    async def latest_column_profiles(self, object_ref: str) -> Sequence[Row]:
        """The newest profile of each column, whichever run it came from."""
        query = (
            select(column_profiles)
            .where(column_profiles.c.object_ref == object_ref)
            .distinct(column_profiles.c.column_name)
            .order_by(
                column_profiles.c.column_name,
                column_profiles.c.profile_run_id.desc(),
                column_profiles.c.id.desc(),
            )
        )
        return (await self.s.execute(query)).mappings().all()

    async def column_history(self, object_ref: str, column: str, limit: int) -> Sequence[Row]:
        query = (
            select(column_profiles)
            .where(
                column_profiles.c.object_ref == object_ref, column_profiles.c.column_name == column
            )
            # Newest run first (a run that started earlier may have finished later).
            .order_by(column_profiles.c.profile_run_id.desc(), column_profiles.c.id.desc())
            .limit(limit)
        )
        return (await self.s.execute(query)).mappings().all()
