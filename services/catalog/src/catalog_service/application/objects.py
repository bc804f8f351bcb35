"""Use cases for catalog objects: search/list, get with columns, edit user metadata."""

from __future__ import annotations

from collections.abc import Sequence

from catalog_service.application.ports import CatalogUnit, Record
from catalog_service.application.semantic_versions import record_version
from catalog_service.application.semantics_ports import SemanticsTransactions
from catalog_service.domain import objects as domain
from catalog_service.domain.semantics import DEFAULT_LAYERS
from dckit.errors import NotFound
from dckit.paging import paginate
from dckit.uow import Entity

# An object with its columns.
ObjectView = tuple[Record, list[Record]]
Facets = dict[str, list[tuple[str, int]]]


class ObjectUseCases:
    def __init__(
        self, tx: SemanticsTransactions, *, layers: Sequence[str] = DEFAULT_LAYERS
    ) -> None:
        self.tx = tx
        self.layers = tuple(layer.strip().lower() for layer in layers)

    async def page(
        self,
        *,
        query: str,
        source: str,
        object_type: str,
        include_deleted: bool,
        limit: int,
        cursor: str,
    ) -> tuple[list[Record], str]:
        domain.check_object_type(object_type)
        async with self.tx() as uow:
            return await paginate(
                limit,
                cursor,
                lambda offset, count: uow.search.search(
                    query=query,
                    source=source,
                    object_type=object_type,
                    include_deleted=include_deleted,
                    offset=offset,
                    count=count,
                ),
            )

    async def facets(
        self, *, query: str, source: str, object_type: str, include_deleted: bool
    ) -> Facets:
        async with self.tx() as uow:
            return await uow.search.facets(
                query=query, source=source, object_type=object_type, include_deleted=include_deleted
            )

    async def get(self, ref: str) -> ObjectView:
        async with self.tx() as uow:
            row = await require_object(uow, ref)
            return row, await uow.objects.columns(row)

    async def columns(self, *, ref: str, limit: int, cursor: str) -> tuple[list[Record], str]:
        async with self.tx() as uow:
            row = await require_object(uow, ref)
            return await paginate(
                limit, cursor, lambda offset, count: uow.objects.columns(row, offset, count)
            )

    async def update(
        self,
        *,
        ref: str,
        fields: Sequence[str],
        description: str,
        tags: Sequence[str],
        layer: str = "",
    ) -> ObjectView:
        values = domain.edits(
            fields, description=description, tags=tags, layer=layer, layers=self.layers
        )
        async with self.tx() as uow:
            before = await require_object(uow, ref)
            await uow.objects.update(before["id"], values)
            after = await require_object(uow, ref)
            await uow.record_change(
                "object.update",
                Entity("object", after["id"], after["urn"]),
                {k: before[k] for k in values},
                {k: after[k] for k in values},
                skip_unchanged=True,
            )
            await record_version(uow, after)
            return after, await uow.objects.columns(after)


async def require_object(uow: CatalogUnit, ref: str) -> Record:
    """The object `ref` names (numeric id, URN or `source.schema.name`), else NotFound."""
    lookup = domain.parse_ref(ref)
    row = await uow.objects.get(lookup)
    if row is None:
        raise NotFound(f"object {lookup.describe()} not found")
    return row
