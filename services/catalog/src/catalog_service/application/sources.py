"""Use cases for data sources: create, read, update, delete. Every change is audited in
the same transaction (outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalog_service.db.repository import CatalogRepository, Row
from catalog_service.domain.refs import validate_source_name
from catalog_service.domain.sources import merge_connection, validate_connection
from dckit.crypto import SecretBox
from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound
from dckit.outbox import Outbox, diff
from dckit.paging import clamp_limit, decode_cursor, next_cursor


def source_urn(name: str) -> str:
    return f"urn:dcs:source:{name}"


class SourceUseCases:
    def __init__(self, db: Database, outbox: Outbox, box: SecretBox) -> None:
        self.db, self.outbox, self.box = db, outbox, box

    async def create(
        self, name: str, source_type: str, description: str, connection: dict[str, Any]
    ) -> tuple[Row, Row | None]:
        validate_source_name(name)
        clean = validate_connection(source_type, connection)
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            row = await repo.insert_source(
                {
                    "name": name,
                    "source_type": source_type,
                    "description": description,
                    "connection_encrypted": self.box.seal(clean),
                    "connection_keys": sorted(clean),
                }
            )
            await self.outbox.audit(
                session,
                action="source.create",
                entity_type="source",
                entity_id=row["id"],
                entity_urn=source_urn(name),
                changes=diff({}, _public(row)),
            )
        return row, None

    async def get(self, name: str) -> tuple[Row, Row | None]:
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            row = await _require(repo, name)
            last = (await repo.last_scans([row["id"]])).get(row["id"])
        return row, last

    async def connection(self, name: str) -> tuple[str, dict[str, Any]]:
        """Type and decrypted connection settings of a source (internal callers only)."""
        async with self.db.session() as session:
            row = await _require(CatalogRepository(session), name)
        return row["source_type"], self.box.open(row["connection_encrypted"])

    async def page(self, limit: int, cursor: str) -> tuple[list[tuple[Row, Row | None]], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            rows = await repo.list_sources(offset, limit + 1)
            page = list(rows[:limit])
            last = await repo.last_scans([r["id"] for r in page])
        return [(r, last.get(r["id"])) for r in page], next_cursor(
            offset, limit, len(page), len(rows) > limit
        )

    async def update(
        self, name: str, fields: Sequence[str], description: str, connection: dict[str, Any]
    ) -> tuple[Row, Row | None]:
        unknown = set(fields) - {"description", "connection"}
        if unknown:
            raise InvalidArgument(f"cannot update field(s): {', '.join(sorted(unknown))}")
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            before = await _require(repo, name, for_update=True)
            values: dict[str, Any] = {}
            if "description" in fields:
                values["description"] = description
            connection_changed = False
            if "connection" in fields:
                old = self.box.open(before["connection_encrypted"])
                merged = merge_connection(old, connection)
                clean = validate_connection(before["source_type"], merged)
                # Sealing is randomised: compare plaintexts, or every update looks like a change.
                connection_changed = clean != old
                if connection_changed:
                    values["connection_encrypted"] = self.box.seal(clean)
                    values["connection_keys"] = sorted(clean)
            row = await repo.update_source(before["id"], values) if values else before
            changes = diff(_public(before), _public(row))
            if connection_changed:
                # Record that credentials changed, never their values.
                changes["connection"] = ("<redacted>", "<redacted: changed>")
            if changes:
                await self.outbox.audit(
                    session,
                    action="source.update",
                    entity_type="source",
                    entity_id=row["id"],
                    entity_urn=source_urn(name),
                    changes=changes,
                )
            last = (await repo.last_scans([row["id"]])).get(row["id"])
        return row, last

    async def delete(self, name: str) -> int:
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            row = await _require(repo, name, for_update=True)
            count = await repo.delete_source(row["id"])
            await self.outbox.audit(
                session,
                action="source.delete",
                entity_type="source",
                entity_id=row["id"],
                entity_urn=source_urn(name),
                changes={**diff(_public(row), {}), "objects_deleted": (None, count)},
            )
        return count


async def _require(repo: CatalogRepository, name: str, *, for_update: bool = False) -> Row:
    row = await repo.get_source(name, for_update=for_update)
    if row is None:
        raise NotFound(f"source {name!r} not found")
    return row


def _public(row: Row) -> dict[str, Any]:
    """The auditable, non-secret view of a source row."""
    return {
        "name": row["name"],
        "source_type": row["source_type"],
        "description": row["description"],
        "connection_keys": list(row["connection_keys"]),
    }
