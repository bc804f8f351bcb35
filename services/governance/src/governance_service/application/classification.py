"""Use cases for classifications and auto-classification rules. Every change is audited (and a
classification's published as datacompass.governance.classification.changed) in its own
transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from dckit import context, event_catalogue
from dckit.errors import NotFound
from dckit.paging import paginate
from dckit.uow import Entity, Event
from governance_service.application.ports import (
    Catalog,
    CatalogObject,
    ClassificationStore,
    EventPayloads,
    Transactions,
    Unit,
)
from governance_service.domain import classification as dom
from governance_service.domain import classification_rules as rdom
from governance_service.domain.classification import Classification
from governance_service.domain.classification_rules import ClassificationRule

log = logging.getLogger(__name__)


@dataclass
class ObjectView:
    obj: CatalogObject
    own: Classification | None
    columns: list[Classification]
    effective: dom.Label | None


@dataclass
class ApplyReport:
    objects: int = 0
    classified: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: int = 0
    error_messages: list[str] = field(default_factory=list)


def _entity(obj: CatalogObject, column: str, column_urn: str) -> Entity:
    """What a classification's audit record is about: the object or one of its columns."""
    if not column:
        return Entity("object", obj.ref, obj.urn)
    return Entity("column", f"{obj.ref}.{column}", column_urn or obj.urn)


def _same(before: Classification, label: dom.Label) -> bool:
    """Whether a rule would write what is stored already (who wrote it aside)."""
    old = (before.level, before.compliance, before.source, before.rule_name)
    return old == (label.level, label.compliance, label.source, label.rule_name)


class ClassificationUseCases:
    def __init__(self, tx: Transactions, catalog: Catalog, events: EventPayloads) -> None:
        self.tx, self.catalog, self.events = tx, catalog, events

    # ------------------------------------------------------------ classifications
    async def set(
        self, *, ref: str, column: str, level: str, compliance: Sequence[str]
    ) -> Classification:
        level = dom.check_level(level)
        labels = tuple(dom.check_compliance(compliance))
        obj = await self.catalog.get(ref)
        column = column.strip()
        if column and column not in {c.name for c in obj.columns}:
            raise NotFound(f"object {obj.ref!r} has no column {column!r}")
        async with self.tx() as uow:
            rows = await uow.classifications.of_object(obj.urn, for_update=True)
            before = next((r for r in rows if r.column == column), None)
            labelled = dom.Label(column, level, labels, "manual")
            return await self._write(uow, obj, before, labelled, None)

    async def _write(
        self,
        uow: Unit,
        obj: CatalogObject,
        before: Classification | None,
        label: dom.Label,
        rule_id: int | None,
    ) -> Classification:
        column = label.column
        column_urn = next((c.urn for c in obj.columns if c.name == column), "") if column else ""
        after = await uow.classifications.upsert(
            Classification(
                **obj.names(),
                column=column,
                column_urn=column_urn,
                level=label.level,
                compliance=label.compliance,
                source=label.source,
                rule_name=label.rule_name,
                rule_id=rule_id,
                classified_by=context.current().actor,
            )
        )
        event = Event(
            event_catalogue.CLASSIFICATION_CHANGED, obj.urn, self.events.classification(after)
        )
        await uow.record_change(
            "classification.set",
            _entity(obj, column, column_urn),
            before.snapshot() if before else None,
            after.snapshot(),
            event=event,
        )
        return after

    async def get(self, ref: str) -> ObjectView:
        obj = await self.catalog.get(ref, cached=True)
        async with self.tx() as uow:
            rows = await uow.classifications.of_object(obj.urn)
        own = next((r for r in rows if not r.column), None)
        columns = [r for r in rows if r.column]
        label = dom.effective(own.label if own else None, [r.label for r in columns])
        return ObjectView(obj, own, columns, label)

    async def page(
        self, *, level: str, source_name: str, limit: int, cursor: str
    ) -> tuple[list[Classification], str]:
        level = dom.check_level(level) if level else ""
        async with self.tx() as uow:
            return await paginate(
                limit,
                cursor,
                lambda offset, count: uow.classifications.page(
                    level=level, source_name=source_name, offset=offset, count=count
                ),
            )

    # ------------------------------------------------------------ rules
    async def list_rules(self) -> list[ClassificationRule]:
        async with self.tx() as uow:
            return await uow.classifications.rules()

    async def create_rule(self, spec: rdom.RuleSpec) -> ClassificationRule:
        spec = rdom.validate(spec)
        async with self.tx() as uow:
            rule = await uow.classifications.insert_rule(spec, context.current().actor)
            await _record_rule(uow, "classification_rule.create", rule, None, spec)
            return rule

    async def update_rule(
        self, rule_id: int, fields: Sequence[str], spec: rdom.RuleSpec
    ) -> ClassificationRule:
        """Changes the named `fields` (some of rdom.RULE_FIELDS) to `spec`'s."""
        async with self.tx() as uow:
            current = await _rule(uow.classifications, rule_id)
            merged = rdom.validate(rdom.merge(current.spec, fields, spec))
            rule = await uow.classifications.update_rule(rule_id, merged)
            await _record_rule(uow, "classification_rule.update", rule, current.spec, merged)
            return rule

    async def delete_rule(self, rule_id: int) -> None:
        async with self.tx() as uow:
            current = await _rule(uow.classifications, rule_id)
            await uow.classifications.delete_rule(rule_id)
            await _record_rule(uow, "classification_rule.delete", current, current.spec, None)

    async def import_yaml(self, text: str) -> list[ClassificationRule]:
        """Creates the document's rules, replacing same-named ones; all or nothing."""
        specs = rdom.parse_yaml(text)
        out: list[ClassificationRule] = []
        async with self.tx() as uow:
            for spec in specs:
                current = await uow.classifications.rule_by_name(spec.name)
                if current is None:
                    rule = await uow.classifications.insert_rule(spec, context.current().actor)
                    await _record_rule(uow, "classification_rule.create", rule, None, spec)
                else:
                    rule = await uow.classifications.update_rule(current.id, spec)
                    if current.spec != spec:
                        await _record_rule(
                            uow, "classification_rule.update", rule, current.spec, spec
                        )
                out.append(rule)
        return out

    # ------------------------------------------------------------ applying rules
    async def apply(self, source_name: str = "") -> ApplyReport:
        async with self.tx() as uow:
            rules = await uow.classifications.rules(enabled_only=True)
        compiled = [rdom.CompiledRule.of(r.spec, r.id) for r in rules]
        report = ApplyReport()
        async for ref in self.catalog.refs(source_name):
            report.objects += 1
            try:
                obj = await self.catalog.get(ref)
            except Exception as exc:  # one unreadable object must not stop the run
                report.errors += 1
                report.error_messages.append(f"{ref}: {exc}")
                log.warning("classification rules: cannot read %s: %s", ref, exc)
                continue
            await self._apply_one(obj, compiled, report)
        return report

    async def _apply_one(
        self, obj: CatalogObject, compiled: list[rdom.CompiledRule], report: ApplyReport
    ) -> None:
        target = rdom.Target(obj.schema, obj.name, obj.tags, tuple(c.name for c in obj.columns))
        decisions = rdom.decide(compiled, target)
        async with self.tx() as uow:
            rows = await uow.classifications.of_object(obj.urn, for_update=True)
            existing = {r.column: r for r in rows}
            for column, decision in decisions.items():
                before = existing.get(column)
                if before is not None and before.source == "manual":
                    report.skipped += 1
                    continue
                rule = decision.rule
                label = dom.Label(column, rule.level, rule.compliance, "rule", rule.name)
                if before is not None and _same(before, label):
                    report.unchanged += 1
                    continue
                await self._write(uow, obj, before, label, decision.rule_id)
                report.classified += 1
            # A rule's classification whose rule no longer matches (or was disabled) goes away.
            for column, before in existing.items():
                if before.source == "rule" and column not in decisions:
                    await uow.classifications.remove(before.id)
                    entity = _entity(obj, column, before.column_urn)
                    await uow.record_change("classification.clear", entity, before.snapshot(), None)


async def _rule(store: ClassificationStore, rule_id: int) -> ClassificationRule:
    rule = await store.rule(rule_id, for_update=True)
    if rule is None:
        raise NotFound(f"classification rule {rule_id} not found")
    return rule


async def _record_rule(
    uow: Unit,
    action: str,
    rule: ClassificationRule,
    before: rdom.RuleSpec | None,
    after: rdom.RuleSpec | None,
) -> None:
    await uow.record_change(
        action,
        Entity("classification_rule", rule.id),
        rdom.snapshot(before) if before else None,
        rdom.snapshot(after) if after else None,
    )
