"""Use cases for masking rules on columns. Every change is audited (masking_rule.create,
masking_rule.update, masking_rule.delete with field diffs) and published as
datacompass.governance.masking_rule.changed, in the same transaction. Also masks sample values
for a caller's role and previews the rules as SQL a source can run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dcconnectors import registry
from dckit import context, event_catalogue
from dckit.errors import AlreadyExists, InvalidArgument, NotFound
from dckit.ids import is_digits
from dckit.uow import Entity, Event
from governance_service.application.ports import (
    Catalog,
    CatalogObject,
    EventPayloads,
    MaskingRuleStore,
    Transactions,
    Unit,
)
from governance_service.domain import masking, masking_sql
from governance_service.domain import masking_rules as dom
from governance_service.domain.masking_rules import MaskingRule, MaskingRuleSpec


@dataclass(frozen=True)
class SqlPreview:
    obj: CatalogObject
    dialect: str  # the connector whose SQL it is
    sql: str
    notes: list[str]  # columns the SQL cannot mask as their rule says


def _column(obj: CatalogObject, column: str) -> tuple[str, str]:
    """The catalog's spelling of the column and its URN."""
    if not column.strip():
        raise InvalidArgument("column: required (masking applies to one column)")
    found = obj.column(column)
    if found is None:
        raise NotFound(f"column {column.strip()!r} is not in {obj.ref!r}")
    return found.name, found.urn


class MaskingUseCases:
    def __init__(
        self, tx: Transactions, catalog: Catalog, masker: masking.Masker, events: EventPayloads
    ) -> None:
        self.tx, self.catalog, self.masker, self.events = tx, catalog, masker, events

    async def create(self, *, ref: str, column: str, spec: MaskingRuleSpec) -> MaskingRule:
        if not ref.strip():
            raise InvalidArgument("object: a ref or URN is required")
        obj = await self.catalog.get(ref)
        name, column_urn = _column(obj, column)
        spec = dom.check(spec, name)
        actor = context.current().actor
        async with self.tx() as uow:
            if spec.enabled:
                await _no_other_enabled(uow.masking_rules, obj.ref, name, 0)
            rule = await uow.masking_rules.insert(
                MaskingRule(
                    id=0,
                    **obj.names(),
                    column=name,
                    column_urn=column_urn,
                    created_by=actor,
                    updated_by=actor,
                    **vars(spec),
                )
            )
            await self._record(uow, "masking_rule.create", "created", None, rule)
            return rule

    async def get(self, rule_id: int) -> MaskingRule:
        async with self.tx() as uow:
            return await _find(uow.masking_rules, rule_id)

    async def rules(self, *, ref: str, column: str) -> list[MaskingRule]:
        """Rules of one object (and column), or of every object. The object is resolved by the
        catalog so a ref and a URN find the same rules, and a typo is a 404, not an empty list."""
        key = ""
        if ref.strip():
            obj = await self.catalog.get(ref, cached=True)
            key = obj.urn
            if column.strip():
                column = _column(obj, column)[0]
        elif column.strip():
            raise InvalidArgument("object: required when a column is given")
        async with self.tx() as uow:
            return await uow.masking_rules.of_object(key, column=column)

    async def update(
        self, rule_id: int, fields: Sequence[str], update: MaskingRuleSpec
    ) -> MaskingRule:
        """Changes the named `fields` (some of dom.FIELDS) to `update`'s."""
        async with self.tx() as uow:
            current = await _find(uow.masking_rules, rule_id, for_update=True)
            spec = dom.check(dom.merge(current.spec, fields, update), current.column)
            if spec.enabled:
                await _no_other_enabled(
                    uow.masking_rules, current.object_ref, current.column, rule_id
                )
            rule = await uow.masking_rules.update(current, spec, context.current().actor)
            await self._record(uow, "masking_rule.update", "updated", current, rule)
            return rule

    async def delete(self, rule_id: int) -> None:
        async with self.tx() as uow:
            current = await _find(uow.masking_rules, rule_id, for_update=True)
            await uow.masking_rules.delete(rule_id)
            await self._record(uow, "masking_rule.delete", "deleted", current, None)

    async def mask_values(
        self, *, ref: str, role: str, columns: Sequence[tuple[str, Sequence[Any]]]
    ) -> tuple[list[tuple[str, list[Any]]], list[str]]:
        """`columns` of object `ref` as `role` may see them: each column with an enabled rule
        masked unless the role is exempt; others unchanged. Rules are found by the ref or URN
        as stored, without asking the catalog, so masking works while it is down (an id is
        the one form only the catalog can resolve)."""
        key = ref.strip()
        if not key:
            raise InvalidArgument("object: a ref or URN is required")
        if is_digits(key):
            key = (await self.catalog.get(key, cached=True)).urn
        async with self.tx() as uow:
            rules = await uow.masking_rules.of_object(key, enabled_only=True)
        specs = {rule.column.lower(): rule.spec for rule in rules}
        return dom.mask_columns(self.masker, specs, role, columns)

    async def preview_sql(self, *, ref: str, dialect: str) -> SqlPreview:
        """SQL masking the object at its source with its enabled rules, with notes on columns
        the SQL cannot mask as the rule says. The dialect is a source type (a connector's name);
        none = the object's."""
        if not ref.strip():
            raise InvalidArgument("object: a ref or URN is required")
        obj = await self.catalog.get(ref)
        chosen = (dialect.strip() or obj.source_type).lower()
        if chosen not in masking_sql.dialects():
            raise InvalidArgument(
                f"dialect: {chosen or 'none'!r} has no masking SQL; "
                f"one of {', '.join(masking_sql.dialects())}"
            )
        async with self.tx() as uow:
            rules = await uow.masking_rules.of_object(obj.urn, enabled_only=True)
        specs = {rule.column: rule.spec for rule in rules}
        methods = {column: spec.masking() for column, spec in specs.items()}
        columns = [(c.name, c.data_type) for c in obj.columns]
        # Where tables are catalog.schema.table (Databricks), a source scans one catalog, which
        # only its (write-only) connection names, so the source name stands in for it.
        table = registry.dialect(chosen).path(obj.schema, obj.name, catalog=obj.source_name)
        sql = masking_sql.preview(chosen, table, columns, methods)
        return SqlPreview(obj, chosen, sql, dom.sql_notes(specs))

    async def _record(
        self,
        uow: Unit,
        action: str,
        change: str,
        before: MaskingRule | None,
        after: MaskingRule | None,
    ) -> None:
        subject = after or before
        assert subject is not None
        payload = self.events.masking_rule_changed(subject, change)
        await uow.record_change(
            action,
            Entity("masking_rule", subject.id, subject.object_urn),
            before.snapshot() if before else None,
            after.snapshot() if after else None,
            event=Event(event_catalogue.MASKING_RULE_CHANGED, subject.object_urn, payload),
        )


async def _no_other_enabled(
    repo: MaskingRuleStore, object_ref: str, column: str, rule_id: int
) -> None:
    other = await repo.enabled_on(object_ref, column=column)
    if other is not None and other.id != rule_id:
        raise AlreadyExists(
            f"column: {object_ref}.{column} already has an enabled masking rule "
            f"(rule {other.id}, {other.name!r}); disable or change that one"
        )


async def _find(repo: MaskingRuleStore, rule_id: int, *, for_update: bool = False) -> MaskingRule:
    found = await repo.get(rule_id, for_update=for_update) if rule_id > 0 else None
    if found is None:
        raise NotFound(f"masking rule {rule_id} not found")
    return found
