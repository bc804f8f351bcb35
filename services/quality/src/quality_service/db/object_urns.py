"""SQL completing rows whose object URN is still '' (written before the URN was the key, and
not derivable by migration 0003): which refs lack one, and filling it in everywhere."""

from __future__ import annotations

from sqlalchemy import Table, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quality_service.db.tables import (
    column_profiles,
    dq_configs,
    profile_runs,
    quality_check_runs,
    quality_rules,
)

KEYED: tuple[Table, ...] = (
    dq_configs,
    quality_rules,
    quality_check_runs,
    profile_runs,
    column_profiles,
)


class ObjectUrns:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def missing(self) -> list[str]:
        """Refs that some row stores without a URN."""
        query = union(*(select(t.c.object_ref).where(t.c.object_urn == "") for t in KEYED))
        return sorted(r[0] for r in (await self.s.execute(query)).all())

    async def fill(self, *, object_ref: str, object_urn: str) -> int:
        """Gives every row of `object_ref` without a URN this one; rows a unique key refuses
        (the object got a new config or rule under its URN meanwhile) keep '' and are
        counted out."""
        filled = 0
        for table in KEYED:
            statement = (
                update(table)
                .where(table.c.object_ref == object_ref, table.c.object_urn == "")
                .values(object_urn=object_urn)
            )
            try:
                async with self.s.begin_nested():
                    result = await self.s.execute(statement)
            except IntegrityError:
                continue
            filled += int(result.rowcount or 0)  # type: ignore[attr-defined]
        return filled
