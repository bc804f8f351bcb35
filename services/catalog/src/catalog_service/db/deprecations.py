"""SQL of deprecation campaigns. Methods run in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.db.tables import deprecations, objects
from catalog_service.domain.deprecations import ACTIVE, DEADLINE_PASSED, WITHDRAWN
from dckit.db import fetch_all, fetch_first
from dckit.errors import Conflict

Record = dict[str, Any]

COLUMNS = [*deprecations.c, objects.c.urn.label("object_urn"), objects.c.ref.label("object_ref")]


def _query() -> Select[Any]:
    return select(*COLUMNS).join(objects, objects.c.id == deprecations.c.object_id)


def status_condition(status: str, today: date) -> Any:
    open_ = deprecations.c.withdrawn_at.is_(None)
    if status == ACTIVE:
        return and_(open_, deprecations.c.deadline >= today)
    if status == DEADLINE_PASSED:
        return and_(open_, deprecations.c.deadline < today)
    if status == WITHDRAWN:
        return deprecations.c.withdrawn_at.isnot(None)
    return None


class DeprecationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, deprecation_id: int) -> Record | None:
        return await fetch_first(self.s, _query().where(deprecations.c.id == deprecation_id))

    async def open_for(self, object_id: int, *, for_update: bool = False) -> Record | None:
        """The object's open (not withdrawn) deprecation."""
        query = _query().where(
            deprecations.c.object_id == object_id, deprecations.c.withdrawn_at.is_(None)
        )
        if for_update:
            query = query.with_for_update(of=deprecations)
        return await fetch_first(self.s, query)

    async def latest_for(self, object_id: int) -> Record | None:
        """The open deprecation, else the most recently withdrawn one."""
        query = (
            _query()
            .where(deprecations.c.object_id == object_id)
            .order_by(deprecations.c.withdrawn_at.desc().nulls_first(), deprecations.c.id.desc())
            .limit(1)
        )
        return await fetch_first(self.s, query)

    async def insert(self, values: Mapping[str, Any]) -> Record:
        try:
            async with self.s.begin_nested():
                new_id = await self.s.scalar(
                    insert(deprecations).values(**values).returning(deprecations.c.id)
                )
        except IntegrityError as exc:  # a concurrent request deprecated it first
            raise Conflict("the object was deprecated concurrently; retry") from exc
        row = await self.get(int(new_id or 0))
        assert row is not None
        return row

    async def update(self, deprecation_id: int, values: Mapping[str, Any]) -> Record:
        await self.s.execute(
            update(deprecations)
            .where(deprecations.c.id == deprecation_id)
            .values(**values, updated_at=func.now())
        )
        row = await self.get(deprecation_id)
        assert row is not None
        return row

    async def withdraw(self, deprecation_id: int, actor: str) -> Record:
        return await self.update(
            deprecation_id, {"withdrawn_at": func.now(), "withdrawn_by": actor}
        )

    async def page(self, status: str, today: date, offset: int, count: int) -> list[Record]:
        query = _query()
        condition = status_condition(status, today)
        if condition is not None:
            query = query.where(condition)
        query = (
            query.order_by(deprecations.c.deadline, deprecations.c.id).offset(offset).limit(count)
        )
        return await fetch_all(self.s, query)

    async def claim_notices(self, threshold: int, today: date) -> list[int]:
        """Atomically claim the open deprecations due a `threshold`-day notice (deadline within
        `threshold` days, not passed, no notice at this or a smaller threshold yet). A
        concurrent claimer (another replica) blocks on the row lock, then re-checks the WHERE
        clause and skips rows already claimed: each notice is claimed exactly once."""
        rows = await self.s.execute(
            update(deprecations)
            .where(
                deprecations.c.withdrawn_at.is_(None),
                deprecations.c.deadline >= today,
                deprecations.c.deadline <= today + timedelta(days=threshold),
                (deprecations.c.notified_days.is_(None))
                | (deprecations.c.notified_days > threshold),
            )
            .values(notified_days=threshold, notified_at=func.now())
            .returning(deprecations.c.id)
        )
        return [int(r[0]) for r in rows.all()]
