"""Use cases for data policies on objects and columns. Every change is audited (policy.create,
policy.update, policy.delete with field diffs) and published as
datacompass.governance.policy.changed, in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from google.protobuf.message import Message

from dckit import context
from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound
from dckit.outbox import Outbox, diff
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from governance_service.adapters.catalog_grpc import CatalogObject, GrpcCatalog
from governance_service.db.policy_repo import PolicyRepository, Row
from governance_service.domain import policies as dom

POLICY_CHANGED = "datacompass.governance.policy.changed"
# (row, change) → the event payload; change is created | updated | deleted.
PolicyEvent = Callable[[Row, str], Message]


def today() -> date:
    return datetime.now(UTC).date()


def _column(obj: CatalogObject, column: str) -> str:
    """The catalog's spelling of the column, or "" for the object itself."""
    wanted = column.strip()
    if not wanted:
        return ""
    for col in obj.columns:
        if col.name.lower() == wanted.lower():
            return col.name
    raise NotFound(f"column {wanted!r} is not in {obj.ref!r}")


def _snapshot(row: Row | dict[str, Any] | None) -> dict[str, Any]:
    if not row:
        return {}
    snap = dom.from_values(row).snapshot()
    snap["next_review_date"] = (
        row["next_review_date"].isoformat() if row["next_review_date"] else None
    )
    return snap


def _stored(spec: dom.PolicySpec, created: date) -> dict[str, Any]:
    values = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in vars(spec).items()
    }
    values["next_review_date"] = dom.next_review(spec, created)
    return values


class PolicyUseCases:
    def __init__(
        self, db: Database, outbox: Outbox, catalog: GrpcCatalog, event: PolicyEvent
    ) -> None:
        self.db, self.outbox, self.catalog, self.event = db, outbox, catalog, event

    async def create(self, ref: str, column: str, spec: dom.PolicySpec) -> Row:
        spec = dom.check(spec)
        if not ref.strip():
            raise InvalidArgument("object: a ref or URN is required")
        obj = await self.catalog.get(ref)
        actor = context.current().actor
        async with self.db.session() as session:
            row = await PolicyRepository(session).insert(
                {
                    "object_urn": obj.urn,
                    "object_ref": obj.ref,
                    "source_name": obj.source_name,
                    "column_name": _column(obj, column),
                    "created_by": actor,
                    "updated_by": actor,
                    **_stored(spec, today()),
                }
            )
            await self._record(session, "policy.create", "created", {}, row)
            return row

    async def get(self, policy_id: int) -> Row:
        async with self.db.session() as session:
            return await _find(PolicyRepository(session), policy_id)

    async def page(
        self, ref: str, overdue_only: bool, limit: int, cursor: str
    ) -> tuple[list[Row], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        urn = (await self.catalog.get(ref)).urn if ref.strip() else ""
        async with self.db.session() as session:
            rows = await PolicyRepository(session).page(
                urn, today() if overdue_only else None, offset, limit
            )
        more = len(rows) > limit
        return rows[:limit], next_cursor(offset, limit, len(rows[:limit]), more)

    async def update(self, policy_id: int, fields: Sequence[str], update: dom.PolicySpec) -> Row:
        async with self.db.session() as session:
            repo = PolicyRepository(session)
            current = await _find(repo, policy_id, for_update=True)
            spec = dom.check(dom.merge(dom.from_values(current), fields, update))
            row = await repo.update(
                policy_id,
                {
                    **_stored(spec, current["created_at"].date()),
                    "updated_by": context.current().actor,
                },
            )
            await self._record(session, "policy.update", "updated", current, row)
            return row

    async def delete(self, policy_id: int) -> None:
        async with self.db.session() as session:
            repo = PolicyRepository(session)
            current = await _find(repo, policy_id, for_update=True)
            await repo.delete(policy_id)
            await self._record(session, "policy.delete", "deleted", current, None)

    async def _record(
        self,
        session: Any,
        action: str,
        change: str,
        before: Row | dict[str, Any],
        after: Row | None,
    ) -> None:
        subject = after if after is not None else before
        assert isinstance(subject, Row)
        target = {"object": subject["object_ref"], "column": subject["column_name"] or None}
        await self.outbox.audit(
            session,
            action=action,
            entity_type="policy",
            entity_id=subject["id"],
            entity_urn=subject["object_urn"],
            changes=diff(
                {**target, **_snapshot(before)} if before else {},
                {**target, **_snapshot(after)} if after is not None else {},
            ),
        )
        await self.outbox.publish(
            session, POLICY_CHANGED, subject["object_urn"], self.event(subject, change)
        )


async def _find(repo: PolicyRepository, policy_id: int, *, for_update: bool = False) -> Row:
    row = await repo.get(policy_id, for_update=for_update) if policy_id > 0 else None
    if row is None:
        raise NotFound(f"policy {policy_id} not found")
    return row
