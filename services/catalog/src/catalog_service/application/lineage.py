"""Use cases for lineage: walk the edges reachable from an object, declare an edge the scans
cannot see; and what a scan records (edges from foreign keys and view SQL, view parses)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from catalog_service.application.objects import require_object
from catalog_service.application.ports import CatalogUnit, Record, Transactions
from catalog_service.domain import lineage as domain
from catalog_service.domain.lineage import EdgeSpec
from catalog_service.domain.scans import ScannedObject
from catalog_service.domain.structure import ObjectIndex, check_columns
from dckit import context
from dckit.paging import Window
from dckit.uow import Entity


@dataclass(frozen=True)
class Lineage:
    urn: str
    edges: list[Record]
    view_parse: Record | None
    cursor: str


class LineageUseCases:
    def __init__(self, tx: Transactions) -> None:
        self.tx = tx

    async def walk(
        self, *, ref: str, direction: str, depth: int, limit: int, cursor: str
    ) -> Lineage:
        ways = domain.directions(direction)
        depth = domain.check_depth(depth)
        window = Window.of(limit, cursor)
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            edges: list[Record] = []
            # Both directions: upstream edges first, then downstream, as one paged list.
            for way in ways:
                edges.extend(
                    await uow.lineage.walk(obj["id"], way, depth, 0, window.offset + window.fetch)
                )
            parse = await uow.lineage.view_parse(obj["id"])
        items, next_cursor = window.page(edges[window.offset :])
        return Lineage(obj["urn"], items, parse, next_cursor)

    async def add_edge(self, spec: EdgeSpec) -> Record:
        spec = spec.validated()
        async with self.tx() as uow:
            up = await require_object(uow, spec.upstream)
            down = await require_object(uow, spec.downstream)
            row = spec.row(up["id"], down["id"], context.current().actor)
            if spec.upstream_column:
                for obj, column in ((up, spec.upstream_column), (down, spec.downstream_column)):
                    columns = [c["name"] for c in await uow.objects.columns(obj)]
                    check_columns(obj["ref"], columns, [column])
            edge = await uow.lineage.add_edge(row)
            await uow.record_change(
                "lineage.declare",
                Entity("object", down["id"], down["urn"]),
                None,
                {"upstream": up["urn"]},
            )
        return edge


async def record_scanned(
    uow: CatalogUnit,
    known: ObjectIndex,
    written: Sequence[tuple[int, ScannedObject]],
    found: Sequence[ScannedObject],
) -> None:
    """The edges and view parses a scan found for the objects it wrote replace what earlier
    scans found for them; declared edges stay."""
    if not written:
        return
    edges, parses = domain.scanned_edges(known, written, found)
    await uow.lineage.replace_scanned([i for i, _ in written], edges, parses)
