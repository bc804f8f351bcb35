"""Use cases for quality rules on a capsule or one of its columns. Every rule is validated
against the catalog's current columns (and referenced objects); custom SQL is for admins only
(it runs arbitrary read-only SQL on the source); every change is audited in its transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound, PermissionDenied
from dckit.outbox import Outbox, diff
from quality_service.application.ports import Catalog, CatalogObject, SampleMasker
from quality_service.application.samples import Samples
from quality_service.db.checks_repo import ChecksRepository
from quality_service.db.repository import Row
from quality_service.domain import rules as rule_domain

FIELDS = ("name", "config", "severity", "blocking", "enabled", "description")
ADMIN_ONLY = frozenset({"custom_sql"})


def snapshot(row: Row) -> dict[str, Any]:
    return {k: row[k] for k in ("object_ref", "column_name", "rule_type", *FIELDS) if k in row}


def default_name(rule_type: str, column: str) -> str:
    return f"{column}_{rule_type}" if column else rule_type


class QualityRuleUseCases:
    def __init__(
        self, db: Database, outbox: Outbox, catalog: Catalog, masker: SampleMasker
    ) -> None:
        self.db, self.outbox, self.catalog, self.masker = db, outbox, catalog, masker

    async def references(
        self,
        rule_type: str,
        config: Mapping[str, Any],
        known: Mapping[str, CatalogObject] | None = None,
    ) -> dict[str, Any]:
        """The catalog objects a rule's config names (referential integrity); those in `known`
        (looked up for an earlier rule of the same run) are not asked for again."""
        found: dict[str, CatalogObject] = {}
        for ref in rule_domain.referenced_objects(rule_type, config):
            if known and ref in known:
                found[ref] = known[ref]
                continue
            try:
                found[ref] = await self.catalog.object(ref)
            except NotFound as exc:
                raise InvalidArgument(f"rule_config.reference: {exc}") from exc
        return found

    async def validate(
        self,
        obj: CatalogObject,
        rule_type: str,
        column: str,
        config: Mapping[str, Any],
        severity: str,
        blocking: bool,
    ) -> rule_domain.RuleSpec:
        return rule_domain.validate(
            rule_type,
            column,
            config,
            columns=obj.columns,
            dialect=obj.dialect,
            references=await self.references(rule_type, config),
            source_name=obj.source_name,
            severity=severity or "warning",
            blocking=blocking,
        )

    async def create(
        self,
        object_ref: str,
        column: str,
        *,
        name: str,
        rule_type: str,
        config: Mapping[str, Any],
        severity: str,
        blocking: bool,
        enabled: bool,
        description: str,
        actor: str,
        role: str,
    ) -> Mapping[str, Any]:
        if not object_ref:
            raise InvalidArgument("capsule: an object ref or URN is required")
        _admin_only(rule_type, role)
        obj = await self.catalog.object(object_ref)
        spec = await self.validate(obj, rule_type, column, config, severity, blocking)
        name = (name or default_name(rule_type, column)).strip()
        if len(name) > 255:
            raise InvalidArgument("name: at most 255 characters")
        async with self.db.session() as session:
            repo = ChecksRepository(session)
            row = await repo.insert_rule(
                {
                    "object_ref": obj.ref,
                    "object_urn": obj.urn,
                    "source_name": obj.source_name,
                    "column_name": spec.column,
                    "name": name,
                    "rule_type": spec.rule_type,
                    "category": spec.category,
                    "config": spec.config,
                    "severity": spec.severity,
                    "blocking": spec.blocking,
                    "enabled": enabled,
                    "description": description,
                    "created_by": actor,
                }
            )
            await self.outbox.audit(
                session,
                action="quality_rule.create",
                entity_type="quality_rule",
                entity_id=row["id"],
                entity_urn=obj.urn,
                changes=diff({}, snapshot(row)),
            )
        return (await self._shown([row], role))[0]

    async def get(self, rule_id: int, role: str) -> Mapping[str, Any]:
        async with self.db.session() as session:
            row = await _rule(ChecksRepository(session), rule_id)
        return (await self._shown([row], role))[0]

    async def list(self, object_ref: str, column: str, role: str) -> Sequence[Mapping[str, Any]]:
        obj = await self.catalog.object(object_ref)
        async with self.db.session() as session:
            rows = await ChecksRepository(session).rules(obj.ref, column)
        return await self._shown(rows, role)

    async def _shown(self, rows: Sequence[Row], role: str) -> Sequence[Mapping[str, Any]]:
        """Rule configs hold column values (value sets, bounds): masked like samples."""
        shown = [{**r, "config": dict(r["config"])} for r in rows]
        samples = Samples()
        for r in shown:
            samples.add_rule_config(r["column_name"], r["config"])
        if shown:
            await samples.reveal(self.masker, shown[0]["object_ref"], role)
        return shown

    async def update(self, rule_id: int, changes: dict[str, Any], role: str) -> Mapping[str, Any]:
        async with self.db.session() as session:
            repo = ChecksRepository(session)
            before = await _rule(repo, rule_id, for_update=True)
            _admin_only(before["rule_type"], role)
            merged = {**snapshot(before), **changes}
            if {"config", "severity", "blocking"} & changes.keys():
                obj = await self.catalog.object(before["object_ref"])
                spec = await self.validate(
                    obj,
                    before["rule_type"],
                    before["column_name"],
                    merged["config"],
                    merged["severity"],
                    merged["blocking"],
                )
                merged.update(config=spec.config, severity=spec.severity)
            if "name" in changes:
                merged["name"] = (changes["name"] or "").strip()
                if not merged["name"] or len(merged["name"]) > 255:
                    raise InvalidArgument("name: 1 to 255 characters")
            values = {k: merged[k] for k in FIELDS if merged[k] != before[k]}
            if not values:
                return (await self._shown([before], role))[0]
            row = await repo.update_rule(rule_id, values)
            await self.outbox.audit(
                session,
                action="quality_rule.update",
                entity_type="quality_rule",
                entity_id=rule_id,
                entity_urn=before["object_urn"],
                changes=diff(snapshot(before), snapshot(row)),
            )
        return (await self._shown([row], role))[0]

    async def delete(self, rule_id: int, role: str) -> None:
        async with self.db.session() as session:
            repo = ChecksRepository(session)
            before = await _rule(repo, rule_id, for_update=True)
            _admin_only(before["rule_type"], role)
            await repo.delete_rule(rule_id)
            await self.outbox.audit(
                session,
                action="quality_rule.delete",
                entity_type="quality_rule",
                entity_id=rule_id,
                entity_urn=before["object_urn"],
                changes=diff(snapshot(before), {}),
            )


def _admin_only(rule_type: str, role: str) -> None:
    if rule_type in ADMIN_ONLY and role != "admin":
        raise PermissionDenied(
            f"{rule_type} rules run arbitrary SQL on the source: only admins may manage them "
            f"(your role: {role or 'none'})"
        )


async def _rule(repo: ChecksRepository, rule_id: int, *, for_update: bool = False) -> Row:
    row = await repo.get_rule(rule_id, for_update=for_update)
    if row is None:
        raise NotFound(f"quality rule {rule_id} does not exist")
    return row
