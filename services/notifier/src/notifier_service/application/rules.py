"""Use cases for subscription rules."""

from __future__ import annotations

from typing import Any

from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound
from dckit.outbox import Outbox, diff
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from notifier_service.db.repository import NotifierRepository, Row
from notifier_service.domain import rules as rule_rules

FIELDS = (
    "name", "event_types", "object_refs", "source_names", "priorities", "channel_ids",
    "enabled", "rate_limit_seconds", "include_non_breaking",
)  # fmt: skip


def snapshot(row: Row | dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in FIELDS}


class RuleUseCases:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self.db, self.outbox = db, outbox

    async def create(self, fields: dict[str, Any]) -> Row:
        spec = rule_rules.validate(**fields)
        async with self.db.session() as session:
            repo = NotifierRepository(session)
            await _check_channels(repo, spec.channel_ids)
            row = await repo.insert("rule", spec.values())
            await self.outbox.audit(
                session, action="notification_rule.create", entity_type="notification_rule",
                entity_id=row["id"], changes=diff({}, snapshot(row)),
            )  # fmt: skip
            return row

    async def get(self, rule_id: int) -> Row:
        async with self.db.session() as session:
            return await _rule(NotifierRepository(session), rule_id)

    async def page(self, limit: int, cursor: str) -> tuple[list[Row], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            rows = await NotifierRepository(session).list_rules(offset, limit + 1)
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def update(self, rule_id: int, changes: dict[str, Any]) -> Row:
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise InvalidArgument(f"update_fields: unknown fields {', '.join(unknown)}")
        async with self.db.session() as session:
            repo = NotifierRepository(session)
            before = await _rule(repo, rule_id, for_update=True)
            spec = rule_rules.validate(**{**snapshot(before), **changes})
            await _check_channels(repo, spec.channel_ids)
            row = await repo.update("rule", rule_id, spec.values())
            await self.outbox.audit(
                session, action="notification_rule.update", entity_type="notification_rule",
                entity_id=rule_id, changes=diff(snapshot(before), snapshot(row)),
            )  # fmt: skip
            return row

    async def delete(self, rule_id: int) -> None:
        async with self.db.session() as session:
            repo = NotifierRepository(session)
            before = await _rule(repo, rule_id, for_update=True)
            await repo.delete("rule", rule_id)
            await self.outbox.audit(
                session, action="notification_rule.delete", entity_type="notification_rule",
                entity_id=rule_id, changes=diff(snapshot(before), {}),
            )  # fmt: skip


async def _check_channels(repo: NotifierRepository, ids: list[int]) -> None:
    missing = sorted(set(ids) - await repo.existing_channels(ids))
    if missing:
        raise InvalidArgument(f"channel_ids: no channel {', '.join(map(str, missing))}")


async def _rule(repo: NotifierRepository, rule_id: int, *, for_update: bool = False) -> Row:
    row = await repo.get("rule", rule_id, for_update=for_update)
    if row is None:
        raise NotFound(f"notification rule {rule_id} not found")
    return row
