"""Use cases for quality rules on a capsule or one of its columns. Every rule is validated
against the catalog's current columns (and referenced objects); types that run arbitrary SQL
on the source (custom_sql) are for admins only; every change is audited in its transaction
(uow.record_change). Rules are returned as the caller may see them: values in their configs
(value sets, bounds) are masked like samples."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from dckit import event_catalogue
from dckit.errors import InvalidArgument, NotFound, PermissionDenied, Unavailable
from dckit.uow import Entity, Event
from quality_service.application.ports import (
    Catalog,
    CatalogObject,
    Row,
    RuleChangedPayload,
    SampleMasker,
    Transactions,
    UnitOfWork,
)
from quality_service.application.samples import Samples
from quality_service.domain import quality_rules as rule_domain
from quality_service.domain import rule_types
from quality_service.domain.objects import ObjectName
from quality_service.domain.quality_rules import FIELDS, QualityRuleSpec, snapshot
from quality_service.domain.rule_types.base import RuleSpec


class QualityRuleUseCases:
    def __init__(
        self,
        tx: Transactions,
        catalog: Catalog,
        masker: SampleMasker,
        changed_payload: RuleChangedPayload,
    ) -> None:
        self.tx, self.catalog, self.masker = tx, catalog, masker
        self.changed_payload = changed_payload

    def _changed(self, change: str, row: Row) -> Event:
        return Event(
            event_catalogue.QUALITY_RULE_CHANGED,
            row["object_urn"],
            self.changed_payload(change, row),
        )

    async def references(
        self,
        rule_type: str,
        config: Mapping[str, Any],
        known: Mapping[str, CatalogObject] | None = None,
    ) -> dict[str, CatalogObject]:
        """The catalog objects a rule's config names (referential integrity); those in `known`
        (looked up for an earlier rule of the same run) are not asked for again."""
        found: dict[str, CatalogObject] = {}
        for ref in rule_domain.referenced_objects(rule_type, config):
            if known and ref in known:
                found[ref] = known[ref]
                continue
            try:
                found[ref] = await self.catalog.object(ObjectName(ref=ref))
            except NotFound as exc:
                raise InvalidArgument(f"rule_config.reference: {exc}") from exc
        return found

    async def validate(
        self,
        obj: CatalogObject,
        *,
        rule_type: str,
        column: str,
        config: Mapping[str, Any],
        severity: str,
        blocking: bool,
        known: Mapping[str, CatalogObject] | None = None,
    ) -> tuple[RuleSpec, dict[str, CatalogObject]]:
        """The rule checked against the object as the catalog has it now, with the objects its
        config references."""
        refs = await self.references(rule_type, config, known)
        spec = rule_domain.validate(
            rule_type,
            column,
            config,
            columns=obj.columns,
            dialect=obj.dialect,
            references=refs,
            source_name=obj.source_name,
            severity=severity or "warning",
            blocking=blocking,
        )
        return spec, refs

    async def check_new(
        self, name: ObjectName | None, spec: QualityRuleSpec, role: str
    ) -> RuleSpec:
        """What `create` checks (object, type, column, config, the caller's right), writing
        nothing: the rule as it would be stored (config normalised). A capsule apply validates
        its rules with it before any service writes."""
        return (await self._checked_new(name, spec, role))[1]

    async def _checked_new(
        self, name: ObjectName | None, spec: QualityRuleSpec, role: str
    ) -> tuple[CatalogObject, RuleSpec]:
        if not name:
            raise InvalidArgument("capsule: an object ref or URN is required")
        _admin_only(spec.rule_type, role)
        obj = await self.catalog.object(name)
        checked, _ = await self.validate(
            obj,
            rule_type=spec.rule_type,
            column=spec.column,
            config=spec.config,
            severity=spec.severity,
            blocking=spec.blocking,
        )
        rule_domain.valid_name(spec.name or rule_domain.default_name(spec.rule_type, spec.column))
        return obj, checked

    async def create(
        self, name: ObjectName | None, spec: QualityRuleSpec, *, actor: str, role: str
    ) -> Row:
        obj, checked = await self._checked_new(name, spec, role)
        rule_name = rule_domain.valid_name(
            spec.name or rule_domain.default_name(spec.rule_type, spec.column)
        )
        async with self.tx() as uow:
            row = await uow.quality_rules.insert(
                {
                    "object_urn": obj.urn,
                    "object_ref": obj.ref,
                    "source_name": obj.source_name,
                    "column_name": checked.column,
                    "name": rule_name,
                    "rule_type": checked.rule_type,
                    "category": checked.category,
                    "config": checked.config,
                    "severity": checked.severity,
                    "blocking": checked.blocking,
                    "enabled": spec.enabled,
                    "description": spec.description,
                    "created_by": actor,
                }
            )
            (audited,) = await self._audited([row])
            await uow.record_change(
                "quality_rule.create",
                _entity(row),
                None,
                audited,
                event=self._changed("created", row),
            )
        return (await self._shown([row], role))[0]

    async def get(self, rule_id: int, role: str) -> Row:
        async with self.tx() as uow:
            row = await _rule(uow, rule_id)
        return (await self._shown([row], role))[0]

    async def of_object(self, name: ObjectName, *, column: str, role: str) -> list[Row]:
        obj = await self.catalog.object(name, cached=True)
        async with self.tx() as uow:
            rows = await uow.quality_rules.of_object(obj.urn, column=column)
        return await self._shown(rows, role)

    async def _shown(self, rows: Sequence[Row], role: str) -> list[Row]:
        """Rule configs hold column values (value sets, bounds): masked like samples."""
        # A deep copy: masking writes into the config's lists (a value set).
        shown = [{**r, "config": copy.deepcopy(r["config"])} for r in rows]
        samples = Samples()
        for r in shown:
            samples.add_rule_config(r["column_name"], r["config"])
        if shown:
            await samples.reveal(self.masker, object_ref=shown[0]["object_ref"], role=role)
        return shown

    async def _audited(self, rows: Sequence[Row]) -> list[dict[str, Any]]:
        """What the audit trail records of rules: their configs' values (a suggested value
        set, observed bounds) as the least role sees them; all redacted when masking cannot
        be decided (the change itself must not fail on it)."""
        try:
            shown = await self._shown(rows, AUDIT_ROLE)
        except (Unavailable, NotFound):
            shown = [{**r, "config": copy.deepcopy(r["config"])} for r in rows]
            samples = Samples()
            for r in shown:
                samples.add_rule_config(r["column_name"], r["config"])
            await samples.reveal(RedactAll(), object_ref="", role=AUDIT_ROLE)
        return [snapshot(r) for r in shown]

    async def update(self, rule_id: int, changes: dict[str, Any], role: str) -> Row:
        async with self.tx() as uow:
            before = await _rule(uow, rule_id, for_update=True)
            _admin_only(before["rule_type"], role)
            merged = {**before, **changes}
            if {"config", "severity", "blocking"} & changes.keys():
                obj = await self.catalog.object(ObjectName(urn=before["object_urn"]))
                checked, _ = await self.validate(
                    obj,
                    rule_type=before["rule_type"],
                    column=before["column_name"],
                    config=merged["config"],
                    severity=merged["severity"],
                    blocking=merged["blocking"],
                )
                merged.update(config=checked.config, severity=checked.severity)
            if "name" in changes:
                merged["name"] = rule_domain.valid_name(changes["name"] or "")
            values = {k: merged[k] for k in FIELDS if merged[k] != before[k]}
            if not values:
                return (await self._shown([before], role))[0]
            row = await uow.quality_rules.update(rule_id, values)
            was, now = await self._audited([before, row])
            await uow.record_change(
                "quality_rule.update",
                _entity(row),
                was,
                now,
                event=self._changed("updated", row),
            )
        return (await self._shown([row], role))[0]

    async def delete(self, rule_id: int, role: str) -> None:
        async with self.tx() as uow:
            before = await _rule(uow, rule_id, for_update=True)
            _admin_only(before["rule_type"], role)
            await uow.quality_rules.delete(rule_id)
            (was,) = await self._audited([before])
            await uow.record_change(
                "quality_rule.delete",
                _entity(before),
                was,
                None,
                event=self._changed("deleted", before),
            )


# The audit trail keeps rule configs as this role sees them (it is read by stewards and
# admins, who may not be exempt from a column's masking rule).
AUDIT_ROLE = "viewer"


REDACTED = "****"


class RedactAll:
    """A SampleMasker that masks every value (when governance cannot say which to mask)."""

    async def mask(
        self, object_ref: str, *, role: str, columns: Mapping[str, Sequence[Any]]
    ) -> tuple[dict[str, list[Any]], set[str]]:
        return {c: [REDACTED] * len(v) for c, v in columns.items()}, set(columns)


def _admin_only(rule_type: str, role: str) -> None:
    kind = rule_types.find(rule_type)
    if kind is not None and kind.admin_only and role != "admin":
        raise PermissionDenied(
            f"{rule_type} rules run arbitrary SQL on the source: only admins may manage them "
            f"(your role: {role or 'none'})"
        )


async def _rule(uow: UnitOfWork, rule_id: int, *, for_update: bool = False) -> Row:
    row = await uow.quality_rules.get(rule_id, for_update=for_update)
    if row is None:
        raise NotFound(f"quality rule {rule_id} does not exist")
    return row


def _entity(rule: Row) -> Entity:
    return Entity("quality_rule", rule["id"], rule["object_urn"])
