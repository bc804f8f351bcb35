"""Use cases for an object's structure: constraints (read, declare), indexes, schema versions
and diffs, transformation code; and what a scan records of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from catalog_service.application.objects import require_object
from catalog_service.application.ports import CatalogUnit, Record, Transactions
from catalog_service.domain import structure as domain
from catalog_service.domain.scans import ScannedObject
from catalog_service.domain.structure import CodeSpec, ConstraintSpec, ObjectIndex, VersionChange
from catalog_service.domain.versions import SchemaDiff, diff_snapshots
from dckit import context
from dckit.errors import InvalidArgument, NotFound
from dckit.paging import paginate
from dckit.uow import Entity


class StructureUseCases:
    def __init__(self, tx: Transactions) -> None:
        self.tx = tx

    # ------------------------------------------------------------ constraints, indexes
    async def constraints(self, ref: str) -> list[Record]:
        async with self.tx() as uow:
            return await uow.structure.constraints(await require_object(uow, ref))

    async def add_constraint(self, ref: str, spec: ConstraintSpec) -> Record:
        """A constraint the source does not declare (e.g. a key enforced by the loader)."""
        spec = spec.validated()
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            await _check_columns(uow, obj, spec.columns)
            target_urn = None
            if spec.constraint_type == "foreign_key":
                target = await require_object(uow, spec.referenced_object)
                await _check_columns(uow, target, spec.referenced_columns)
                target_urn = target["urn"]
            row = await uow.structure.add_constraint(
                obj, spec.row(obj["id"], target_urn, context.current().actor)
            )
            await uow.record_change(
                "constraint.declare", _entity(obj), None, {"constraint": spec.describe()}
            )
        return row

    async def indexes(self, ref: str) -> list[Record]:
        async with self.tx() as uow:
            return await uow.structure.indexes((await require_object(uow, ref))["id"])

    # ------------------------------------------------------------ versions
    async def versions(self, *, ref: str, limit: int, cursor: str) -> tuple[list[Record], str]:
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            return await paginate(
                limit,
                cursor,
                lambda offset, count: uow.structure.versions(obj["id"], offset, count),
            )

    async def version(self, *, ref: str, version: str) -> Record:
        async with self.tx() as uow:
            return await _version(uow, await require_object(uow, ref), version)

    async def diff(
        self, *, ref: str, from_version: str, to_version: str
    ) -> tuple[Record, Record, SchemaDiff]:
        if not from_version:
            raise InvalidArgument("from_version is required")
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            old = await _version(uow, obj, from_version)
            if to_version:
                new = await _version(uow, obj, to_version)
            else:
                current = (await uow.structure.current_versions([obj["id"]])).get(obj["id"])
                if current is None:
                    raise NotFound(f"object {obj['ref']} has no versions")
                new = current
        return old, new, diff_snapshots(old["schema_snapshot"], new["schema_snapshot"])

    # ------------------------------------------------------------ transformation code
    async def code(self, *, ref: str, limit: int, cursor: str) -> tuple[list[Record], str]:
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            return await paginate(
                limit, cursor, lambda offset, count: uow.structure.code(obj["id"], offset, count)
            )

    async def add_code(self, ref: str, spec: CodeSpec) -> Record:
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            (row,) = await uow.structure.add_code([spec.row(obj["id"], context.current().actor)])
            await uow.record_change(
                "transformation_code.add", _entity(obj), None, {"code_hash": row["code_hash"]}
            )
        return row


async def record_scanned(
    uow: CatalogUnit,
    source: Mapping[str, Any],
    known: ObjectIndex,
    written: Sequence[tuple[int, ScannedObject]],
    scan_id: int,
) -> list[VersionChange]:
    """What a scan records of the structure of the objects it wrote (created or changed;
    unchanged objects cost nothing): their constraints and indexes replace the scanned ones,
    view definitions become transformation code, and a schema version is added where the
    schema hash moved. Returns the version changes to announce."""
    if not written:
        return []
    constraints: list[dict[str, Any]] = []
    indexes: list[dict[str, Any]] = []
    for object_id, obj in written:
        constraints.extend(domain.scanned_constraints(source, known, object_id, obj))
        indexes.extend(domain.scanned_indexes(object_id, obj))
    ids = [object_id for object_id, _ in written]
    await uow.structure.replace_scanned(ids, constraints, indexes)
    views = [(i, o) for i, o in written if o.definition]
    latest = await uow.structure.latest_scanned_code([i for i, _ in views])
    await uow.structure.add_code(domain.scanned_code(views, latest))
    rows, changes = domain.new_versions(
        source["name"], known, written, await uow.structure.current_versions(ids), scan_id
    )
    await uow.structure.add_versions(rows)
    return changes


async def _version(uow: CatalogUnit, obj: Mapping[str, Any], version: str) -> Record:
    version = domain.parse_version(version)
    row = await uow.structure.version(obj["id"], version)
    if row is None:
        raise NotFound(f"object {obj['ref']} has no version {version!r}")
    return row


async def _check_columns(uow: CatalogUnit, obj: Mapping[str, Any], names: Sequence[str]) -> None:
    known = [c["name"] for c in await uow.objects.columns(obj)]
    domain.check_columns(obj["ref"], known, names)


def _entity(obj: Mapping[str, Any]) -> Entity:
    return Entity("object", obj["id"], obj["urn"])
