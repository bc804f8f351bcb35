"""Use cases for deprecation campaigns: deprecate an object (deadline, optional replacement,
message), list and show campaigns with their status, withdraw. Every change is audited in the
same transaction (outbox). A periodic worker sends
datacompass.catalog.deprecation.deadline_approaching once per deprecation and threshold."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import func

from catalog_service.application.objects import _require
from catalog_service.db.deprecations import DeprecationRepository
from catalog_service.db.repository import CatalogRepository, Row
from catalog_service.domain import deprecations as domain
from catalog_service.domain.refs import parse_ref
from dckit import context
from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound
from dckit.outbox import Outbox, diff
from dckit.paging import clamp_limit, decode_cursor, next_cursor

log = logging.getLogger(__name__)

DEADLINE_APPROACHING = "datacompass.catalog.deprecation.deadline_approaching"
CHECK_SECONDS = 300.0

# A deprecation row plus what callers show: status and days left as of `today`.
Deprecation = dict[str, Any]
EventFor = Callable[[Deprecation, int], Message]


class DeprecationUseCases:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        *,
        event_for: EventFor,
        clock: Callable[[], date] = domain.today,
        notice_days: Sequence[int] = domain.NOTICE_DAYS,
        check_seconds: float = CHECK_SECONDS,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db, self.outbox, self.event_for = db, outbox, event_for
        self.clock = clock
        self.notice_days = sorted(set(notice_days))  # most urgent first
        self.check_seconds = check_seconds
        self.on_commit = on_commit

    def _view(self, row: Row, today: date) -> Deprecation:
        return {
            **row,
            "status": domain.status(row["deadline"], row["withdrawn_at"] is not None, on=today),
            "days_left": (row["deadline"] - today).days,
        }

    async def deprecate(
        self, ref: str, deadline: str, replacement: str, message: str
    ) -> Deprecation:
        today = self.clock()
        day = domain.parse_deadline(deadline, on=today)
        text = domain.clean_message(message)
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            obj = await _require(repo, ref)
            target_urn = target_ref = None
            if replacement.strip():
                target = await repo.get_object(parse_ref(replacement))
                if target is None:
                    raise InvalidArgument(f"replacement {replacement!r} is not in the catalog")
                if target["id"] == obj["id"]:
                    raise InvalidArgument("an object cannot be its own replacement")
                if target["deleted"]:
                    raise InvalidArgument(f"replacement {target['ref']} is deleted")
                target_urn, target_ref = target["urn"], target["ref"]
            values: dict[str, Any] = {
                "deadline": day,
                "replacement_urn": target_urn,
                "replacement_ref": target_ref,
                "message": text,
            }
            store = DeprecationRepository(session)
            before = await store.open_for(obj["id"], for_update=True)
            if before is None:
                row = await store.insert(
                    {**values, "object_id": obj["id"], "created_by": context.current().actor}
                )
                action, changes = "deprecation.create", diff({}, _public(row))
            else:
                if before["deadline"] != day:
                    values |= {"notified_days": None, "notified_at": None}  # notices anew
                row = await store.update(before["id"], values)
                action, changes = "deprecation.update", diff(_public(before), _public(row))
            if changes:
                await self.outbox.audit(
                    session,
                    action=action,
                    entity_type="object",
                    entity_id=obj["id"],
                    entity_urn=obj["urn"],
                    changes=changes,
                )
        self.on_commit()
        return self._view(row, today)

    async def get(self, ref: str) -> Deprecation:
        async with self.db.session() as session:
            obj = await _require(CatalogRepository(session), ref)
            row = await DeprecationRepository(session).latest_for(obj["id"])
        if row is None:
            raise NotFound(f"object {obj['ref']} is not deprecated")
        return self._view(row, self.clock())

    async def current(self, object_id: int) -> Deprecation | None:
        """The object's open deprecation (shown with the object), if any."""
        async with self.db.session() as session:
            row = await DeprecationRepository(session).open_for(object_id)
        return None if row is None else self._view(row, self.clock())

    async def page(self, status: str, limit: int, cursor: str) -> tuple[list[Deprecation], str]:
        status = domain.validate_status(status)
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        today = self.clock()
        async with self.db.session() as session:
            rows = await DeprecationRepository(session).page(status, today, offset, limit + 1)
        page = [self._view(r, today) for r in rows[:limit]]
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def withdraw(self, ref: str) -> Deprecation:
        async with self.db.session() as session:
            obj = await _require(CatalogRepository(session), ref)
            store = DeprecationRepository(session)
            before = await store.open_for(obj["id"], for_update=True)
            if before is None:
                raise NotFound(f"object {obj['ref']} has no open deprecation to withdraw")
            actor = context.current().actor
            row = await store.update(
                before["id"], {"withdrawn_at": func.now(), "withdrawn_by": actor}
            )
            await self.outbox.audit(
                session,
                action="deprecation.withdraw",
                entity_type="object",
                entity_id=obj["id"],
                entity_urn=obj["urn"],
                changes={"status": ("deprecated", "withdrawn")},
            )
        self.on_commit()
        return self._view(row, self.clock())

    # ------------------------------------------------------------ deadline notices
    async def notify_due(self) -> int:
        """Send every notice now due; returns how many. Each claim (UPDATE ... RETURNING) and
        its events commit together, so a crash sends nothing twice and loses nothing, and
        replicas running this at the same time never both send one notice."""
        today = self.clock()
        sent = 0
        async with self.db.session() as session:
            store = DeprecationRepository(session)
            for threshold in self.notice_days:
                for deprecation_id in await store.claim_notices(threshold, today):
                    row = await store.get(deprecation_id)
                    assert row is not None
                    view = self._view(row, today)
                    await self.outbox.publish(
                        session,
                        DEADLINE_APPROACHING,
                        row["object_urn"],
                        self.event_for(view, threshold),
                    )
                    sent += 1
        if sent:
            self.on_commit()
            log.info("sent %d deprecation deadline notice(s)", sent)
        return sent

    async def run(self, stop: asyncio.Event) -> None:
        """Worker: check for due notices every `check_seconds`."""
        while not stop.is_set():
            try:
                await self.notify_due()
            except Exception as exc:  # database blip: try again next round
                log.warning("deprecation notices failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.check_seconds)


def _public(row: Row) -> dict[str, Any]:
    """The auditable view of a deprecation."""
    return {
        "deadline": row["deadline"].isoformat(),
        "replacement_urn": row["replacement_urn"],
        "message": row["message"],
    }
