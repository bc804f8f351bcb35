"""Use cases for deprecation campaigns: deprecate an object (deadline, optional replacement,
message), list and show campaigns with their status, withdraw. Every change is audited in the
same transaction. A periodic worker sends datacompass.catalog.deprecation.deadline_approaching
once per deprecation and threshold."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from catalog_service.application.objects import require_object
from catalog_service.application.ports import CatalogUnit, DeadlinePayload, Record, Transactions
from catalog_service.domain import deprecations as domain
from catalog_service.domain.objects import parse_ref
from dckit import context, event_catalogue
from dckit.clock import Clock, utc_now
from dckit.errors import InvalidArgument, NotFound
from dckit.paging import paginate
from dckit.uow import Entity, Event

log = logging.getLogger(__name__)

CHECK_SECONDS = 300.0


class DeprecationUseCases:
    def __init__(
        self,
        tx: Transactions,
        *,
        payload: DeadlinePayload,
        clock: Clock = utc_now,
        notice_days: Sequence[int] = domain.NOTICE_DAYS,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self.tx, self.payload = tx, payload
        self.clock = clock
        self.notice_days = sorted(set(notice_days))  # most urgent first
        self.check_seconds = check_seconds

    def today(self) -> date:
        """Deadlines are UTC dates."""
        return self.clock().date()

    async def deprecate(self, *, ref: str, deadline: str, replacement: str, message: str) -> Record:
        """Deprecate `ref` (`replacement`: "" for none); an open deprecation is updated."""
        today = self.today()
        day = domain.parse_deadline(deadline, on=today)
        text = domain.clean_message(message)
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            values: dict[str, Any] = {
                "deadline": day,
                "message": text,
                **await _replacement(uow, obj, replacement),
            }
            before = await uow.deprecations.open_for(obj["id"], for_update=True)
            if before is None:
                action = "deprecation.create"
                row = await uow.deprecations.insert(
                    {**values, "object_id": obj["id"], "created_by": context.current().actor}
                )
            else:
                action = "deprecation.update"
                if before["deadline"] != day:
                    values |= {"notified_days": None, "notified_at": None}  # notices anew
                row = await uow.deprecations.update(before["id"], values)
            await uow.record_change(
                action,
                _entity(obj),
                None if before is None else domain.public(before),
                domain.public(row),
                skip_unchanged=True,
            )
        return domain.view(row, on=today)

    async def get(self, ref: str) -> Record:
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            row = await uow.deprecations.latest_for(obj["id"])
        if row is None:
            raise NotFound(f"object {obj['ref']} is not deprecated")
        return domain.view(row, on=self.today())

    async def current(self, object_id: int) -> Record | None:
        """The object's open deprecation (shown with the object), if any."""
        async with self.tx() as uow:
            row = await uow.deprecations.open_for(object_id)
        return None if row is None else domain.view(row, on=self.today())

    async def page(self, *, status: str, limit: int, cursor: str) -> tuple[list[Record], str]:
        status = domain.validate_status(status)
        today = self.today()
        async with self.tx() as uow:
            rows, next_cursor = await paginate(
                limit,
                cursor,
                lambda offset, count: uow.deprecations.page(status, today, offset, count),
            )
        return [domain.view(r, on=today) for r in rows], next_cursor

    async def withdraw(self, ref: str) -> Record:
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            before = await uow.deprecations.open_for(obj["id"], for_update=True)
            if before is None:
                raise NotFound(f"object {obj['ref']} has no open deprecation to withdraw")
            row = await uow.deprecations.withdraw(before["id"], context.current().actor)
            await uow.record_change(
                "deprecation.withdraw",
                _entity(obj),
                {"status": "deprecated"},
                {"status": domain.WITHDRAWN},
            )
        return domain.view(row, on=self.today())

    # ------------------------------------------------------------ deadline notices
    async def notify_due(self) -> int:
        """Send every notice now due; returns how many. Each claim (UPDATE ... RETURNING) and
        its events commit together, so a crash sends nothing twice and loses nothing, and
        replicas running this at the same time never both send one notice."""
        today = self.today()
        sent = 0
        async with self.tx() as uow:
            for threshold in self.notice_days:
                for deprecation_id in await uow.deprecations.claim_notices(threshold, today):
                    row = await uow.deprecations.get(deprecation_id)
                    assert row is not None
                    payload = self.payload(domain.view(row, on=today), threshold)
                    await uow.publish(
                        Event(
                            event_catalogue.DEPRECATION_DEADLINE_APPROACHING,
                            row["object_urn"],
                            payload,
                        )
                    )
                    sent += 1
        if sent:
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


async def _replacement(
    uow: CatalogUnit, obj: Mapping[str, Any], replacement: str
) -> dict[str, str | None]:
    """The replacement's URN and ref (None for no replacement): a live object, not `obj`."""
    if not replacement.strip():
        return {"replacement_urn": None, "replacement_ref": None}
    target = await uow.objects.get(parse_ref(replacement))
    if target is None:
        raise InvalidArgument(f"replacement {replacement!r} is not in the catalog")
    if target["id"] == obj["id"]:
        raise InvalidArgument("an object cannot be its own replacement")
    if target["deleted"]:
        raise InvalidArgument(f"replacement {target['ref']} is deleted")
    return {"replacement_urn": target["urn"], "replacement_ref": target["ref"]}


def _entity(obj: Mapping[str, Any]) -> Entity:
    return Entity("object", obj["id"], obj["urn"])
