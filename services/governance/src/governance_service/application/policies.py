"""Use cases for data policies on objects and columns. Every change is audited (policy.create,
policy.update, policy.delete with field diffs) and published as
datacompass.governance.policy.changed, in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from dckit import context, event_catalogue
from dckit.clock import Clock, utc_now
from dckit.errors import InvalidArgument, NotFound
from dckit.paging import paginate
from dckit.uow import Entity, Event
from governance_service.application.ports import (
    Catalog,
    CatalogObject,
    EventPayloads,
    PolicyStore,
    Transactions,
    Unit,
)
from governance_service.domain import policies as dom
from governance_service.domain.policies import Policy


def _column(obj: CatalogObject, column: str) -> str:
    """The catalog's spelling of the column, or "" for the object itself."""
    if not column.strip():
        return ""
    found = obj.column(column)
    if found is None:
        raise NotFound(f"column {column.strip()!r} is not in {obj.ref!r}")
    return found.name


class PolicyUseCases:
    def __init__(
        self, tx: Transactions, catalog: Catalog, events: EventPayloads, clock: Clock = utc_now
    ) -> None:
        self.tx, self.catalog, self.events, self.clock = tx, catalog, events, clock

    async def create(self, *, ref: str, column: str, spec: dom.PolicySpec) -> Policy:
        spec = dom.check(spec)
        if not ref.strip():
            raise InvalidArgument("object: a ref or URN is required")
        obj = await self.catalog.get(ref)
        actor = context.current().actor
        async with self.tx() as uow:
            policy = await uow.policies.insert(
                Policy(
                    id=0,
                    **obj.names(),
                    column=_column(obj, column),
                    spec=spec,
                    next_review_date=dom.next_review(spec, self.clock().date()),
                    created_by=actor,
                    updated_by=actor,
                )
            )
            await self._record(uow, "policy.create", "created", None, policy)
            return policy

    async def get(self, policy_id: int) -> Policy:
        async with self.tx() as uow:
            return await _find(uow.policies, policy_id)

    async def page(
        self, *, ref: str, overdue_only: bool, limit: int, cursor: str
    ) -> tuple[list[Policy], str]:
        urn = (await self.catalog.get(ref, cached=True)).urn if ref.strip() else ""
        overdue_before = self.clock().date() if overdue_only else None
        async with self.tx() as uow:
            return await paginate(
                limit,
                cursor,
                lambda offset, count: uow.policies.page(urn, overdue_before, offset, count),
            )

    async def update(self, policy_id: int, fields: Sequence[str], update: dom.PolicySpec) -> Policy:
        """Changes the named `fields` (some of dom.FIELDS) to `update`'s."""
        async with self.tx() as uow:
            current = await _find(uow.policies, policy_id, for_update=True)
            spec = dom.check(dom.merge(current.spec, fields, update))
            created = current.created_at.date() if current.created_at else self.clock().date()
            policy = await uow.policies.update(
                replace(
                    current,
                    spec=spec,
                    next_review_date=dom.next_review(spec, created),
                    updated_by=context.current().actor,
                )
            )
            await self._record(uow, "policy.update", "updated", current, policy)
            return policy

    async def delete(self, policy_id: int) -> None:
        async with self.tx() as uow:
            current = await _find(uow.policies, policy_id, for_update=True)
            await uow.policies.delete(policy_id)
            await self._record(uow, "policy.delete", "deleted", current, None)

    async def _record(
        self, uow: Unit, action: str, change: str, before: Policy | None, after: Policy | None
    ) -> None:
        subject = after or before
        assert subject is not None
        payload = self.events.policy_changed(subject, change)
        await uow.record_change(
            action,
            Entity("policy", subject.id, subject.object_urn),
            before.snapshot() if before else None,
            after.snapshot() if after else None,
            event=Event(event_catalogue.POLICY_CHANGED, subject.object_urn, payload),
        )


async def _find(repo: PolicyStore, policy_id: int, *, for_update: bool = False) -> Policy:
    found = await repo.get(policy_id, for_update=for_update) if policy_id > 0 else None
    if found is None:
        raise NotFound(f"policy {policy_id} not found")
    return found
