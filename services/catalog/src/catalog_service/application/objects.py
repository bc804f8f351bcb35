"""Use cases for catalog objects: search/list, get with columns, edit user metadata."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalog_service.db.repository import CatalogRepository, Row
from catalog_service.domain.models import OBJECT_TYPES
from catalog_service.domain.refs import parse_ref
from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound
from dckit.outbox import Outbox, diff
from dckit.paging import clamp_limit, decode_cursor, next_cursor

MAX_TAGS = 50


class ObjectUseCases:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self.db, self.outbox = db, outbox

    async def page(
        self,
        *,
        query: str,
        source: str,
        object_type: str,
        include_deleted: bool,
        limit: int,
        cursor: str,
    ) -> tuple[list[Row], str]:
        if object_type and object_type not in OBJECT_TYPES:
            raise InvalidArgument(
                f"unknown object type {object_type!r}; one of {', '.join(OBJECT_TYPES)}"
            )
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            rows = await CatalogRepository(session).list_objects(
                query=query,
                source=source,
                object_type=object_type,
                include_deleted=include_deleted,
                offset=offset,
                limit=limit + 1,
            )
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def facets(
        self, *, query: str, source: str, object_type: str, include_deleted: bool
    ) -> dict[str, list[tuple[str, int]]]:
        async with self.db.session() as session:
            return await CatalogRepository(session).object_facets(
                query=query,
                source=source,
                object_type=object_type,
                include_deleted=include_deleted,
            )

    async def get(self, ref: str) -> tuple[Row, list[dict[str, Any]]]:
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            row = await _require(repo, ref)
            return row, await repo.get_columns(row)

    async def columns(self, ref: str, limit: int, cursor: str) -> tuple[list[dict[str, Any]], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            row = await _require(repo, ref)
            cols = await repo.get_columns(row, offset, limit + 1)
        page = cols[:limit]
        return page, next_cursor(offset, limit, len(page), len(cols) > limit)

    async def update(
        self, ref: str, fields: Sequence[str], description: str, tags: Sequence[str]
    ) -> tuple[Row, list[dict[str, Any]]]:
        unknown = set(fields) - {"description", "tags"}
        if unknown or not fields:
            raise InvalidArgument("updatable fields are 'description' and 'tags'")
        values: dict[str, Any] = {}
        if "description" in fields:
            values["description"] = description.strip() or None
        if "tags" in fields:
            values["tags"] = _clean_tags(tags)
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            before = await _require(repo, ref)
            await repo.update_object(before["id"], values)
            after = await _require(repo, ref)
            changes = diff({k: before[k] for k in values}, {k: after[k] for k in values})
            if changes:
                await self.outbox.audit(
                    session,
                    action="object.update",
                    entity_type="object",
                    entity_id=after["id"],
                    entity_urn=after["urn"],
                    changes=changes,
                )
            return after, await repo.get_columns(after)


def _clean_tags(tags: Sequence[str]) -> list[str]:
    clean = sorted({t.strip().lower() for t in tags if t.strip()})
    if len(clean) > MAX_TAGS:
        raise InvalidArgument(f"at most {MAX_TAGS} tags per object")
    bad = [t for t in clean if len(t) > 64 or any(ch.isspace() for ch in t)]
    if bad:
        raise InvalidArgument(f"invalid tag(s) {bad}: up to 64 characters, no spaces")
    return clean


async def _require(repo: CatalogRepository, ref: str) -> Row:
    lookup = parse_ref(ref)
    row = await repo.get_object(lookup)
    if row is None:
        raise NotFound(f"object {lookup.describe()} not found")
    return row
