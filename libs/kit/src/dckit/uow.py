"""Units of work: one database transaction together with what it tells the world (audit
records and domain events, written to the outbox in the same transaction).

A service's `db/unit_of_work.py` subclasses `UnitOfWork` to add its repositories; its
application layer sees that class only through a protocol in `application/ports.py` and gets
new units from the `Transactions` factory wired in `app.py`:

    async with self.tx() as uow:
        before = await uow.policies.get(policy_id, for_update=True)
        after = await uow.policies.update(policy_id, values)
        await uow.record_change("policy.update", Entity("policy", policy_id, after["object_urn"]),
                                before, after, event=Event(POLICY_CHANGED, urn, payload))
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from dckit.db import Database
from dckit.event_catalogue import EventType
from dckit.outbox import FieldChanges, Outbox, diff


@dataclass(frozen=True)
class Entity:
    """What an audit record is about: its type, id and (when it has one) URN."""

    type: str
    id: str | int
    urn: str = ""


@dataclass(frozen=True)
class Event:
    """A domain event to publish with a change: catalogued type, subject (a URN), payload."""

    type: EventType
    subject: str
    payload: Message


class RecordsChanges(Protocol):
    """What use cases see of a unit of work's outbox: each service's unit protocol in
    `application/ports.py` extends it with its repositories (`UnitOfWork` implements it)."""

    async def publish(self, event: Event) -> str: ...
    async def audit(
        self, action: str, entity: Entity, changes: FieldChanges | None = None
    ) -> str: ...
    async def record_change(
        self,
        action: str,
        entity: Entity,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        *,
        event: Event | None = None,
        skip_unchanged: bool = False,
    ) -> FieldChanges: ...


class UnitOfWork:
    """One transaction: `session` for repositories, the outbox bound to it."""

    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        self.session = session
        self.outbox = outbox
        self.wrote_outbox = False  # an event or audit record is waiting for the relay

    async def publish(self, event: Event) -> str:
        self.wrote_outbox = True
        return await self.outbox.publish(self.session, event.type, event.subject, event.payload)

    async def audit(self, action: str, entity: Entity, changes: FieldChanges | None = None) -> str:
        self.wrote_outbox = True
        return await self.outbox.audit(
            self.session,
            action=action,
            entity_type=entity.type,
            entity_id=entity.id,
            entity_urn=entity.urn,
            changes=changes,
        )

    async def record_change(
        self,
        action: str,
        entity: Entity,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        *,
        event: Event | None = None,
        skip_unchanged: bool = False,
    ) -> FieldChanges:
        """Audit the field-level difference `before` → `after` (None = did not exist / no longer
        exists) and publish `event`, both in this transaction; returns the changes. With
        `skip_unchanged`, an update that changed nothing records nothing (no audit, no event).

        Snapshots hold what a reader may see: callers leave secrets out or mask them first."""
        changes = diff(dict(before or {}), dict(after or {}))
        if skip_unchanged and not changes:
            return changes
        await self.audit(action, entity, changes)
        if event is not None:
            await self.publish(event)
        return changes


U = TypeVar("U", bound=UnitOfWork)


class Transactions(Generic[U]):
    """Opens units of work of one kind: `async with transactions() as uow: ...` commits when
    the block succeeds and rolls everything back (rows, audit, events) when it raises."""

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        build: Callable[[AsyncSession, Outbox], U],
        *,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.db, self.outbox, self.build = db, outbox, build
        # Called after a commit that wrote to the outbox (e.g. the relay's wake(), so the
        # events just written go out without waiting for its next poll; reads wake nothing).
        self.on_commit = on_commit

    def __call__(self) -> AbstractAsyncContextManager[U]:
        return self._begin()

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[U]:
        async with self.db.session() as session:
            uow = self.build(session, self.outbox)
            yield uow
        if uow.wrote_outbox and self.on_commit is not None:
            self.on_commit()
