"""Use cases for masking rules on columns. Every change is audited (masking_rule.create,
masking_rule.update, masking_rule.delete with field diffs) and published as
datacompass.governance.masking_rule.changed, in the same transaction. Also masks sample values
for a caller's role and previews the rules as SQL a source can run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from google.protobuf.message import Message

from dcconnectors import registry
from dckit import context
from dckit.db import Database
from dckit.errors import AlreadyExists, InvalidArgument, NotFound
from dckit.outbox import Outbox, diff
from governance_service.adapters.catalog_grpc import CatalogObject, GrpcCatalog
from governance_service.db.masking_repo import MaskingRuleRepository, Row
from governance_service.domain import masking, masking_sql
from governance_service.domain import masking_rules as dom

MASKING_RULE_CHANGED = "datacompass.governance.masking_rule.changed"
# (row, change) → the event payload; change is created | updated | deleted.
MaskingRuleEvent = Callable[[Row, str], Message]


def _column(obj: CatalogObject, column: str) -> tuple[str, str]:
    """The catalog's spelling of the column and its URN."""
    wanted = column.strip()
    if not wanted:
        raise InvalidArgument("column: required (masking applies to one column)")
    for col in obj.columns:
        if col.name.lower() == wanted.lower():
            return col.name, col.urn
    raise NotFound(f"column {wanted!r} is not in {obj.ref!r}")


def _snapshot(row: Row | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "object": row["object_ref"],
        "column": row["column"],
        **dom.from_values(row).snapshot(),
    }


class MaskingRuleUseCases:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        catalog: GrpcCatalog,
        masker: masking.Masker,
        event: MaskingRuleEvent,
    ) -> None:
        self.db, self.outbox, self.catalog = db, outbox, catalog
        self.masker, self.event = masker, event

    async def create(self, ref: str, column: str, spec: dom.RuleSpec) -> Row:
        if not ref.strip():
            raise InvalidArgument("object: a ref or URN is required")
        obj = await self.catalog.get(ref)
        name, column_urn = _column(obj, column)
        spec = dom.check(spec, name)
        actor = context.current().actor
        async with self.db.session() as session:
            repo = MaskingRuleRepository(session)
            if spec.enabled:
                await _no_other_enabled(repo, obj.ref, name, 0)
            row = await repo.insert(
                {
                    "object_urn": obj.urn,
                    "object_ref": obj.ref,
                    "source_name": obj.source_name,
                    "column": name,
                    "column_urn": column_urn,
                    "created_by": actor,
                    "updated_by": actor,
                    **spec.snapshot(),
                }
            )
            await self._record(session, "masking_rule.create", "created", None, row)
            return row

    async def get(self, rule_id: int) -> Row:
        async with self.db.session() as session:
            return await _find(MaskingRuleRepository(session), rule_id)

    async def rules(self, ref: str, column: str) -> list[Row]:
        """Rules of one object (and column), or of every object. The object is resolved by the
        catalog so a ref and a URN find the same rules, and a typo is a 404, not an empty list."""
        key = ""
        if ref.strip():
            obj = await self.catalog.get(ref)
            key = obj.urn
            if column.strip():
                column = _column(obj, column)[0]
        elif column.strip():
            raise InvalidArgument("object: required when a column is given")
        async with self.db.session() as session:
            return await MaskingRuleRepository(session).of_object(key, column)

    async def update(self, rule_id: int, changes: Mapping[str, Any]) -> Row:
        async with self.db.session() as session:
            repo = MaskingRuleRepository(session)
            current = await _find(repo, rule_id, for_update=True)
            spec = dom.check(dom.merge(dom.from_values(current), changes), current["column"])
            if spec.enabled:
                await _no_other_enabled(repo, current["object_ref"], current["column"], rule_id)
            row = await repo.update(
                rule_id, {**spec.snapshot(), "updated_by": context.current().actor}
            )
            await self._record(session, "masking_rule.update", "updated", current, row)
            return row

    async def delete(self, rule_id: int) -> None:
        async with self.db.session() as session:
            repo = MaskingRuleRepository(session)
            current = await _find(repo, rule_id, for_update=True)
            await repo.delete(rule_id)
            await self._record(session, "masking_rule.delete", "deleted", current, None)

    async def mask_values(
        self, ref: str, role: str, columns: Sequence[tuple[str, Sequence[Any]]]
    ) -> tuple[list[tuple[str, list[Any]]], list[str]]:
        """`columns` of object `ref` (ref or URN) as `role` may see them: each column with an
        enabled rule masked unless the role is exempt; others unchanged. Rules are found by the
        ref or URN as stored, without asking the catalog, so masking works while it is down."""
        if not ref.strip():
            raise InvalidArgument("object: a ref or URN is required")
        async with self.db.session() as session:
            rows = await MaskingRuleRepository(session).of_object(ref.strip(), enabled_only=True)
        rules = {row["column"].lower(): dom.from_values(row) for row in rows}
        return dom.mask_columns(self.masker, rules, role, columns)

    async def preview_sql(
        self, ref: str, dialect: str
    ) -> tuple[CatalogObject, str, str, list[str]]:
        """(the object, the dialect used, SQL masking the object at its source with its enabled
        rules, notes on columns the SQL cannot mask as the rule says). The dialect is a source
        type (a connector's name); none = the object's."""
        if not ref.strip():
            raise InvalidArgument("object: a ref or URN is required")
        obj = await self.catalog.get(ref)
        chosen = (dialect.strip() or obj.source_type).lower()
        if chosen not in masking_sql.dialects():
            raise InvalidArgument(
                f"dialect: {chosen or 'none'!r} has no masking SQL; "
                f"one of {', '.join(masking_sql.dialects())}"
            )
        async with self.db.session() as session:
            rows = await MaskingRuleRepository(session).of_object(obj.urn, enabled_only=True)
        specs = {row["column"]: dom.from_values(row) for row in rows}
        rules = {column: spec.masking() for column, spec in specs.items()}
        columns = [(c.name, c.data_type) for c in obj.columns]
        # Where tables are catalog.schema.table (Databricks), a source scans one catalog, which
        # only its (write-only) connection names, so the source name stands in for it.
        table = registry.dialect(chosen).path(obj.schema, obj.name, catalog=obj.source_name)
        sql = masking_sql.preview(chosen, table, columns, rules)
        return obj, chosen, sql, dom.sql_notes(specs)

    async def _record(
        self, session: Any, action: str, change: str, before: Row | None, after: Row | None
    ) -> None:
        subject = after if after is not None else before
        assert subject is not None
        await self.outbox.audit(
            session,
            action=action,
            entity_type="masking_rule",
            entity_id=subject["id"],
            entity_urn=subject["object_urn"],
            changes=diff(_snapshot(before), _snapshot(after)),
        )
        await self.outbox.publish(
            session, MASKING_RULE_CHANGED, subject["object_urn"], self.event(subject, change)
        )


async def _no_other_enabled(
    repo: MaskingRuleRepository, object_ref: str, column: str, rule_id: int
) -> None:
    other = await repo.enabled_on(object_ref, column)
    if other is not None and other["id"] != rule_id:
        raise AlreadyExists(
            f"column: {object_ref}.{column} already has an enabled masking rule "
            f"(rule {other['id']}, {other['name']!r}); disable or change that one"
        )


async def _find(repo: MaskingRuleRepository, rule_id: int, *, for_update: bool = False) -> Row:
    row = await repo.get(rule_id, for_update=for_update) if rule_id > 0 else None
    if row is None:
        raise NotFound(f"masking rule {rule_id} not found")
    return row
