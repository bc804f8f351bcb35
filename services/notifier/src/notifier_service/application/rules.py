"""Use cases for subscription rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from dckit.errors import InvalidArgument, NotFound
from dckit.paging import paginate
from dckit.uow import Entity
from notifier_service.application.ports import ChannelStore, RuleStore, Transactions
from notifier_service.domain import rules
from notifier_service.domain.notices import Subscription
from notifier_service.domain.rules import Rule, RuleSpec, snapshot


async def require_rule(store: RuleStore, rule_id: int, *, for_update: bool = False) -> Rule:
    found = await store.get(rule_id, for_update=for_update)
    if found is None:
        raise NotFound(f"notification rule {rule_id} not found")
    return found


async def _check_channels(store: ChannelStore, ids: list[int]) -> None:
    missing = sorted(set(ids) - await store.existing(ids))
    if missing:
        raise InvalidArgument(f"channel_ids: no channel {', '.join(map(str, missing))}")


def _entity(rule_id: int) -> Entity:
    return Entity("notification_rule", rule_id)


class RuleUseCases:
    def __init__(self, tx: Transactions, subscribable: Sequence[Subscription]) -> None:
        """`subscribable`: the catalogued events the notifier has notices for."""
        self.tx, self.subscribable = tx, list(subscribable)

    async def create(self, spec: RuleSpec) -> Rule:
        spec = rules.validate(spec, self.subscribable)
        async with self.tx() as uow:
            await _check_channels(uow.channels, spec.channel_ids)
            created = await uow.rules.insert(snapshot(spec))
            await uow.record_change(
                "notification_rule.create", _entity(created.id), None, snapshot(created)
            )
        return created

    async def get(self, rule_id: int) -> Rule:
        async with self.tx() as uow:
            return await require_rule(uow.rules, rule_id)

    async def page(self, *, limit: int, cursor: str) -> tuple[list[Rule], str]:
        async with self.tx() as uow:
            return await paginate(
                limit, cursor, lambda offset, count: uow.rules.page(offset=offset, limit=count)
            )

    async def update(self, rule_id: int, changes: Mapping[str, Any]) -> Rule:
        """`changes`: new values of fields in domain.rules.FIELDS."""
        async with self.tx() as uow:
            before = await require_rule(uow.rules, rule_id, for_update=True)
            spec = rules.validate(replace(before.spec(), **changes), self.subscribable)
            await _check_channels(uow.channels, spec.channel_ids)
            after = await uow.rules.update(rule_id, snapshot(spec))
            await uow.record_change(
                "notification_rule.update", _entity(rule_id), snapshot(before), snapshot(after)
            )
        return after

    async def delete(self, rule_id: int) -> None:
        async with self.tx() as uow:
            before = await require_rule(uow.rules, rule_id, for_update=True)
            await uow.rules.delete(rule_id)
            await uow.record_change(
                "notification_rule.delete", _entity(rule_id), snapshot(before), None
            )
