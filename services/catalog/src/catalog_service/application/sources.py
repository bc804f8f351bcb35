"""Use cases for data sources: create, read, update, delete. Every change is audited in the
same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog_service.application.ports import CatalogUnit, Connectors, Record, Secrets, Transactions
from catalog_service.domain import sources as domain
from dckit.errors import NotFound
from dckit.paging import paginate
from dckit.uow import Entity

# A source with its last scan run (None when never scanned).
SourceView = tuple[Record, Record | None]


class SourceUseCases:
    def __init__(self, tx: Transactions, connectors: Connectors, secrets: Secrets) -> None:
        self.tx, self.connectors, self.secrets = tx, connectors, secrets

    async def create(
        self, *, name: str, source_type: str, description: str, connection: Mapping[str, Any]
    ) -> SourceView:
        domain.validate_source_name(name)
        clean = self.connectors.validate(source_type, connection)
        async with self.tx() as uow:
            row = await uow.sources.insert(
                {
                    "name": name,
                    "source_type": source_type,
                    "description": description,
                    "connection_encrypted": self.secrets.seal(clean),
                    "connection_keys": sorted(clean),
                }
            )
            await uow.record_change("source.create", _entity(row), None, domain.public(row))
        return row, None

    async def get(self, name: str) -> SourceView:
        async with self.tx() as uow:
            row = await require_source(uow, name)
            return row, (await uow.scans.last_of([row["id"]])).get(row["id"])

    async def connection(self, name: str) -> tuple[str, dict[str, Any]]:
        """Type and decrypted connection settings of a source (internal callers only)."""
        async with self.tx() as uow:
            row = await require_source(uow, name)
        return row["source_type"], self.secrets.open(row["connection_encrypted"])

    async def page(self, limit: int, cursor: str) -> tuple[list[SourceView], str]:
        async with self.tx() as uow:
            rows, next_cursor = await paginate(limit, cursor, uow.sources.page)
            last = await uow.scans.last_of([r["id"] for r in rows])
        return [(r, last.get(r["id"])) for r in rows], next_cursor

    async def update(
        self,
        *,
        name: str,
        fields: list[str],
        description: str,
        connection: Mapping[str, Any],
    ) -> SourceView:
        domain.check_update_fields(fields)
        async with self.tx() as uow:
            before = await require_source(uow, name, for_update=True)
            values: dict[str, Any] = {}
            if "description" in fields:
                values["description"] = description
            marker = domain.REDACTED
            if "connection" in fields:
                old = self.secrets.open(before["connection_encrypted"])
                self.connectors.check_secrets_follow(before["source_type"], old, connection)
                merged = domain.merge_connection(old, connection)
                clean = self.connectors.validate(before["source_type"], merged)
                # Sealing is randomised: compare plaintexts, or every update looks like a change.
                if clean != old:
                    marker = domain.REDACTED_CHANGED
                    values["connection_encrypted"] = self.secrets.seal(clean)
                    values["connection_keys"] = sorted(clean)
            row = await uow.sources.update(before["id"], values) if values else before
            await uow.record_change(
                "source.update",
                _entity(row),
                domain.public(before, domain.REDACTED),
                domain.public(row, marker),
                skip_unchanged=True,
            )
            return row, (await uow.scans.last_of([row["id"]])).get(row["id"])

    async def delete(self, name: str) -> int:
        async with self.tx() as uow:
            row = await require_source(uow, name, for_update=True)
            count = await uow.sources.delete(row["id"])
            await uow.record_change(
                "source.delete",
                _entity(row),
                {**domain.public(row), "objects_deleted": None},
                {"objects_deleted": count},
            )
        return count


async def require_source(uow: CatalogUnit, name: str, *, for_update: bool = False) -> Record:
    row = await uow.sources.get(name, for_update=for_update)
    if row is None:
        raise NotFound(f"source {name!r} not found")
    return row


def _entity(row: Mapping[str, Any]) -> Entity:
    return Entity("source", row["id"], domain.source_urn(row["name"]))
