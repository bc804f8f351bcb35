"""Use cases for classifications and auto-classification rules. Every change is audited (and
published as datacompass.governance.classification.changed) in its own transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from google.protobuf.message import Message

from dckit import context
from dckit.db import Database
from dckit.errors import InvalidArgument, NotFound
from dckit.outbox import Outbox, diff
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from governance_service.adapters.catalog_grpc import CatalogObject, GrpcCatalog
from governance_service.db.classification_repo import ClassificationRepository, Row
from governance_service.domain import classification as dom
from governance_service.domain import rules as rdom

log = logging.getLogger(__name__)
CHANGED = "datacompass.governance.classification.changed"
RULE_FIELDS = (
    "name",
    "priority",
    "enabled",
    "column_name_pattern",
    "schema_pattern",
    "object_name_pattern",
    "tags",
    "level",
    "compliance",
)
EventBuilder = Callable[[Row], Message]


@dataclass
class ObjectView:
    obj: CatalogObject
    own: Row | None
    columns: list[Row]
    effective: dom.Label | None


@dataclass
class ApplyReport:
    objects: int = 0
    classified: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: int = 0
    error_messages: list[str] = field(default_factory=list)


def _snapshot(row: Row | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {k: row[k] for k in ("level", "compliance", "source", "rule_name")}


def _rule_spec(row: Row) -> rdom.RuleSpec:
    return rdom.RuleSpec(
        name=row["name"],
        level=row["level"],
        compliance=tuple(row["compliance"]),
        column_name_pattern=row["column_name_pattern"],
        schema_pattern=row["schema_pattern"],
        object_name_pattern=row["object_name_pattern"],
        tags=tuple(row["tags"]),
        priority=row["priority"],
        enabled=row["enabled"],
    )


def _rule_values(spec: rdom.RuleSpec) -> dict[str, Any]:
    return {f: list(v) if isinstance(v := getattr(spec, f), tuple) else v for f in RULE_FIELDS}


def _column_urn(obj: CatalogObject, column: str) -> str:
    return next((c.urn for c in obj.columns if c.name == column), "")


def _as_label(row: Row) -> dom.Label:
    return dom.Label(
        row["column_name"],
        row["level"],
        tuple(row["compliance"]),
        row["source"],
        row["rule_name"],
        row["classified_by"],
    )


class ClassificationUseCases:
    def __init__(
        self, db: Database, outbox: Outbox, catalog: GrpcCatalog, event: EventBuilder
    ) -> None:
        self.db, self.outbox, self.catalog, self.event = db, outbox, catalog, event

    # ------------------------------------------------------------ classifications
    async def set(self, ref: str, column: str, level: str, compliance: Sequence[str]) -> Row:
        level = dom.check_level(level)
        labels = dom.check_compliance(compliance)
        obj = await self.catalog.get(ref)
        column = column.strip()
        if column and column not in {c.name for c in obj.columns}:
            raise NotFound(f"object {obj.ref!r} has no column {column!r}")
        values = {"level": level, "compliance": labels, "source": "manual", "rule_name": ""}
        async with self.db.session() as session:
            repo = ClassificationRepository(session)
            before = next(
                (r for r in await repo.of_object(obj.urn, for_update=True)
                 if r["column_name"] == column),
                None,
            )  # fmt: skip
            return await self._write(repo, session, obj, column, before, values, None)

    async def _write(
        self,
        repo: ClassificationRepository,
        session: Any,
        obj: CatalogObject,
        column: str,
        before: Row | None,
        values: dict[str, Any],
        rule_id: int | None,
    ) -> Row:
        row = await repo.upsert(
            {
                **values,
                "object_urn": obj.urn,
                "object_ref": obj.ref,
                "source_name": obj.source_name,
                "column_name": column,
                "column_urn": _column_urn(obj, column),
                "rule_id": rule_id,
                "classified_by": context.current().actor,
            }
        )
        target = f"{obj.ref}.{column}" if column else obj.ref
        await self.outbox.audit(
            session,
            action="classification.set",
            entity_type="column" if column else "object",
            entity_id=target,
            entity_urn=row["column_urn"] or obj.urn,
            changes=diff(_snapshot(before), _snapshot(row)),
        )
        await self.outbox.publish(session, CHANGED, obj.urn, self.event(row))
        return row

    async def get(self, ref: str) -> ObjectView:
        obj = await self.catalog.get(ref)
        async with self.db.session() as session:
            rows = await ClassificationRepository(session).of_object(obj.urn)
        own = next((r for r in rows if not r["column_name"]), None)
        columns = [r for r in rows if r["column_name"]]
        label = dom.effective(_as_label(own) if own else None, [_as_label(r) for r in columns])
        return ObjectView(obj, own, columns, label)

    async def page(
        self, level: str, source_name: str, limit: int, cursor: str
    ) -> tuple[list[Row], str]:
        level = dom.check_level(level) if level else ""
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            rows = await ClassificationRepository(session).page(level, source_name, offset, limit)
        return rows[:limit], next_cursor(offset, limit, len(rows[:limit]), len(rows) > limit)

    # ------------------------------------------------------------ rules
    async def list_rules(self) -> list[Row]:
        async with self.db.session() as session:
            return await ClassificationRepository(session).rules()

    async def create_rule(self, spec: rdom.RuleSpec) -> Row:
        spec = rdom.validate(spec)
        values = _rule_values(spec)
        async with self.db.session() as session:
            row = await ClassificationRepository(session).insert_rule(
                {**values, "created_by": context.current().actor}
            )
            await self._audit_rule(session, "classification_rule.create", row, {}, values)
            return row

    async def update_rule(self, rule_id: int, fields: Sequence[str], spec: rdom.RuleSpec) -> Row:
        unknown = sorted(set(fields) - set(RULE_FIELDS))
        if unknown or not fields:
            got = ", ".join(unknown) or "none"
            raise InvalidArgument(f"fields must be some of {', '.join(RULE_FIELDS)}; got {got}")
        async with self.db.session() as session:
            repo = ClassificationRepository(session)
            current = await repo.rule(rule_id, for_update=True)
            if current is None:
                raise NotFound(f"classification rule {rule_id} not found")
            merged = replace(_rule_spec(current), **{f: getattr(spec, f) for f in fields})
            after = _rule_values(rdom.validate(merged))
            before = {f: current[f] for f in RULE_FIELDS}
            row = await repo.update_rule(rule_id, after)
            await self._audit_rule(session, "classification_rule.update", row, before, after)
            return row

    async def delete_rule(self, rule_id: int) -> None:
        async with self.db.session() as session:
            repo = ClassificationRepository(session)
            current = await repo.rule(rule_id, for_update=True)
            if current is None:
                raise NotFound(f"classification rule {rule_id} not found")
            await repo.delete_rule(rule_id)
            before = {f: current[f] for f in RULE_FIELDS}
            await self._audit_rule(session, "classification_rule.delete", current, before, {})

    async def import_yaml(self, text: str) -> list[Row]:
        """Creates the document's rules, replacing same-named ones; all or nothing."""
        specs = rdom.parse_yaml(text)
        out: list[Row] = []
        async with self.db.session() as session:
            repo = ClassificationRepository(session)
            for spec in specs:
                values = _rule_values(spec)
                current = await repo.rule_by_name(spec.name)
                if current is None:
                    row = await repo.insert_rule({**values, "created_by": context.current().actor})
                    await self._audit_rule(session, "classification_rule.create", row, {}, values)
                else:
                    before = {f: current[f] for f in RULE_FIELDS}
                    row = await repo.update_rule(current["id"], values)
                    if before != values:
                        await self._audit_rule(
                            session, "classification_rule.update", row, before, values
                        )
                out.append(row)
        return out

    async def _audit_rule(
        self, session: Any, action: str, row: Row, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        await self.outbox.audit(
            session,
            action=action,
            entity_type="classification_rule",
            entity_id=row["id"],
            changes=diff(before, after),
        )

    # ------------------------------------------------------------ applying rules
    async def apply(self, source_name: str = "") -> ApplyReport:
        async with self.db.session() as session:
            rows = await ClassificationRepository(session).rules(enabled_only=True)
        compiled = [rdom.CompiledRule.of(_rule_spec(r), r["id"]) for r in rows]
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
        async with self.db.session() as session:
            repo = ClassificationRepository(session)
            existing = {r["column_name"]: r for r in await repo.of_object(obj.urn, for_update=True)}
            for column, decision in decisions.items():
                before = existing.get(column)
                if before is not None and before["source"] == "manual":
                    report.skipped += 1
                    continue
                values = {
                    "level": decision.rule.level,
                    "compliance": list(decision.rule.compliance),
                    "source": "rule",
                    "rule_name": decision.rule.name,
                }
                if before is not None and _snapshot(before) == values:
                    report.unchanged += 1
                    continue
                await self._write(repo, session, obj, column, before, values, decision.rule_id)
                report.classified += 1
            # A rule's classification whose rule no longer matches (or was disabled) goes away.
            for column, before in existing.items():
                if before["source"] == "rule" and column not in decisions:
                    await repo.remove(before["id"])
                    await self.outbox.audit(
                        session,
                        action="classification.clear",
                        entity_type="column" if column else "object",
                        entity_id=f"{obj.ref}.{column}" if column else obj.ref,
                        entity_urn=before["column_urn"] or obj.urn,
                        changes=diff(_snapshot(before), {}),
                    )
