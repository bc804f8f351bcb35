"""Completing object URNs at start-up: rows written before the URN was every table's key, whose
URN migration 0003 could not derive from another row, get it from the catalog. A ref the
catalog does not know keeps '' (its rows stay readable by id, and by no object name); a catalog
that cannot be reached is asked again later."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from dckit.errors import Unavailable
from quality_service.application.ports import Catalog, Transactions
from quality_service.domain.objects import ObjectName

log = logging.getLogger(__name__)


class ObjectUrnUseCases:
    def __init__(self, tx: Transactions, catalog: Catalog, *, retry_seconds: float = 30.0) -> None:
        self.tx, self.catalog, self.retry_seconds = tx, catalog, retry_seconds

    async def complete(self) -> list[str]:
        """Fills in every URN the catalog can give; returns the refs still without one."""
        async with self.tx() as uow:
            refs = await uow.object_urns.missing()
        left = []
        for ref in refs:
            urn = await self.catalog.urn(ObjectName(ref=ref))
            if not urn:
                left.append(ref)
                continue
            async with self.tx() as uow:
                filled = await uow.object_urns.fill(object_ref=ref, object_urn=urn)
            log.info("gave %d row(s) of %s its URN %s", filled, ref, urn)
        return left

    async def worker(self, stop: asyncio.Event) -> None:
        """Worker: complete once, again while the catalog cannot be reached."""
        while not stop.is_set():
            try:
                left = await self.complete()
            except Unavailable as exc:
                log.warning("object URNs not completed yet: %s", exc)
            else:
                if left:
                    log.warning("no URN in the catalog for %s", ", ".join(left))
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retry_seconds)
