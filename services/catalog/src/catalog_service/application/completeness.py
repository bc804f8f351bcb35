"""Use cases of metadata completeness: keep each capsule's facts current from events (the
catalog's own — scans, descriptions, column meaning, term links — and governance's and
quality's), score them with the configured weights when they change, fill rows for capsules
that have none at start-up, and list the least complete capsules. Reads never recompute."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from catalog_service.application.completeness_ports import (
    CompletenessStore,
    CompletenessTransactions,
    CompletenessUnit,
)
from catalog_service.application.objects import require_object
from catalog_service.application.ports import Record
from catalog_service.domain import completeness as domain
from dckit.errors import NotFound
from dckit.paging import paginate

BATCH = 500


@dataclass(frozen=True)
class Change:
    """One fact change an event carries, for the capsule `urn`:
    - `refresh`: recompute the catalog's own facts (`urn`, or every object of `source`);
    - `add` / `remove`: put `key` in / take it out of the set `fact`;
    - `domain`: the capsule's domain is now `key`."""

    kind: str
    urn: str = ""
    source: str = ""
    fact: str = ""
    key: str = ""


@dataclass(frozen=True)
class ScoredRecord:
    row: Record
    score: domain.Score


class CompletenessUseCases:
    def __init__(self, tx: CompletenessTransactions, weights: Mapping[str, float]) -> None:
        self.tx = tx
        self.weights = domain.check_weights(weights)

    async def apply(self, uow: CompletenessUnit, changes: Iterable[Change]) -> None:
        """Apply an event's changes in the consumer's transaction, then rescore what moved. A
        change about a capsule without a row first fills its row (the catalog's facts)."""
        store, touched = uow.completeness, set[int]()
        for change in changes:
            if change.kind == "refresh":
                if change.source:
                    touched.update(await store.refresh("source", source=change.source))
                else:
                    touched.update(await store.refresh("urns", urns=[change.urn]))
                continue
            ids = await self._change(store, change)
            if not ids:  # no row yet: fill it, then apply
                await store.refresh("urns", urns=[change.urn])
                ids = await self._change(store, change)
            touched.update(ids)
        await self._rescore(uow, sorted(touched))

    @staticmethod
    async def _change(store: CompletenessStore, change: Change) -> list[int]:
        if change.kind == "domain":
            return await store.set_domain(change.urn, change.key)
        return await store.change_set(
            change.urn, change.fact, change.key, present=change.kind == "add"
        )

    async def backfill(self) -> int:
        """At start-up: a row for every capsule without one, and every score under the
        current weights (they may have changed since the last start)."""
        async with self.tx() as uow:
            added = await uow.completeness.refresh("missing")
            ids = await uow.completeness.all_ids()
        for start in range(0, len(ids), BATCH):
            async with self.tx() as uow:
                await self._rescore(uow, ids[start : start + BATCH])
        return len(added)

    async def _rescore(self, uow: CompletenessUnit, object_ids: Sequence[int]) -> None:
        if not object_ids:
            return
        for row in await uow.completeness.facts(object_ids):
            result = domain.score(facts(row), self.weights)
            if result.score != row["score"] or list(result.missing) != list(row["missing"]):
                await uow.completeness.save_score(row["object_id"], result.score, result.missing)

    async def get(self, ref: str) -> ScoredRecord:
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            row = await uow.completeness.of_object(obj["id"])
            if row is None:
                await uow.completeness.refresh("urns", urns=[obj["urn"]])
                await self._rescore(uow, [obj["id"]])
                row = await uow.completeness.of_object(obj["id"])
        if row is None:
            raise NotFound(f"object {ref} not found")
        return self._scored(row)

    async def least_complete(
        self, filters: Mapping[str, str], *, limit: int, cursor: str
    ) -> tuple[list[ScoredRecord], str]:
        async with self.tx() as uow:
            rows, next_cursor = await paginate(
                limit,
                cursor,
                lambda offset, count: uow.completeness.least_complete(filters, offset, count),
            )
        return [self._scored(r) for r in rows], next_cursor

    def _scored(self, row: Record) -> ScoredRecord:
        return ScoredRecord(row, domain.score(facts(row), self.weights))


def facts(row: Record) -> domain.Facts:
    return domain.Facts(
        has_description=row["has_description"],
        columns=row["columns"],
        columns_defined=row["columns_defined"],
        term_links=row["term_links"],
        owners=frozenset(row["owners"]),
        classified=frozenset(row["classified"]),
        policies=frozenset(row["policies"]),
        rules=frozenset(row["rules"]),
    )
