"""Use cases for DQ breaches: list and read them, and move them through their lifecycle
(acknowledge, resolve, dismiss with a reason, reopen), recording who and why."""

from __future__ import annotations

from dataclasses import replace

from dckit import context
from dckit.errors import NotFound
from dckit.paging import paginate
from dckit.uow import Entity
from quality_service.application import dq_values
from quality_service.application.ports import Catalog, Row, SampleMasker, Transactions
from quality_service.domain import dq_breaches as lifecycle
from quality_service.domain.dq_breaches import BreachFilter
from quality_service.domain.objects import ObjectName


class DqBreachUseCases:
    def __init__(self, tx: Transactions, catalog: Catalog, masker: SampleMasker) -> None:
        self.tx, self.catalog, self.masker = tx, catalog, masker

    async def _shown(self, rows: list[Row], role: str) -> list[Row]:
        return await dq_values.shown(self.masker, role, [dq_values.breach_item(r) for r in rows])

    async def page(
        self, f: BreachFilter, name: ObjectName | None, limit: int, cursor: str, role: str
    ) -> tuple[list[Row], str]:
        f = f.validated()
        if name:
            urn = await self.catalog.urn(name)
            if not urn:  # not an object the catalog knows: it has no breaches
                return [], ""
            f = replace(f, object_urn=urn)
        async with self.tx() as uow:
            rows, next_cursor = await paginate(
                limit, cursor, lambda offset, count: uow.dq_breaches.page(f, offset, count)
            )
        return await self._shown(rows, role), next_cursor

    async def get(self, breach_id: int, role: str) -> Row:
        async with self.tx() as uow:
            row = await uow.dq_breaches.get(breach_id)
        if row is None:
            raise NotFound(f"breach {breach_id} not found")
        return (await self._shown([row], role))[0]

    async def change_status(self, breach_id: int, *, status: str, reason: str, role: str) -> Row:
        async with self.tx() as uow:
            before = await uow.dq_breaches.get(breach_id, for_update=True)
            if before is None:
                raise NotFound(f"breach {breach_id} not found")
            target = lifecycle.transition(before["status"], status, reason)
            changed = {
                "status": target,
                "status_changed_by": context.current().actor,
                "status_reason": reason,
            }
            await uow.dq_breaches.update(breach_id, changed)
            after = await uow.dq_breaches.get(breach_id)
            assert after is not None
            await uow.record_change(
                f"dq_breach.{target}",
                Entity("dq_breach", breach_id, before["object_urn"]),
                _audited(before),
                _audited(after),
            )
        return (await self._shown([after], role))[0]

    async def open_by_priority(self) -> dict[str, int]:
        async with self.tx() as uow:
            return await uow.dq_breaches.open_by_priority()


def _audited(breach: Row) -> dict[str, str]:
    return {"status": breach["status"], "status_reason": breach["status_reason"]}
