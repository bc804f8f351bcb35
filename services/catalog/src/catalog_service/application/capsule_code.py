"""Capsule as code (capsule model extension, Appendix A): export a capsule's semantic metadata
as YAML, and apply such a file. An apply validates the whole file against the catalog first
(keys, values, columns, terms, value domains), computes the plan (every change, old → new),
and, unless it is a dry run, writes all of it in one transaction: each change audited as its
own use case would audit it (`object.update`, `column.describe`, `term_link.*`), plus one
`capsule.apply` record, every record naming the same change set; and one new schema version
recording the semantic metadata (co-versioning, §8.1).

The `quality_rules` section lives in the quality service (port `QualityRules`): it is
validated by that service before anything is written, planned with the rest, and written after
the catalog's changes inside the catalog's transaction; if a rule write (or the catalog's
commit) fails, the rule writes already done are undone in reverse order and the catalog's
transaction rolls back: all or nothing. The change set travels to the quality service in the
request context."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from catalog_service.application.capsule_code_ports import QualityRules
from catalog_service.application.glossary import link_public, link_view
from catalog_service.application.objects import require_object
from catalog_service.application.ports import Record
from catalog_service.application.semantic_versions import record_version, semantic_state
from catalog_service.application.semantics import column_view
from catalog_service.application.semantics_ports import (
    ChangePayload,
    SemanticsTransactions,
    SemanticsUnit,
)
from catalog_service.domain import capsule_code as files
from catalog_service.domain import capsule_rules, glossary
from catalog_service.domain.capsule_code import ROOT, Change, Problems
from catalog_service.domain.semantics import (
    DEFAULT_LAYERS,
    check_range,
    column_public,
    effective_claims,
)
from dckit import context, event_catalogue
from dckit.uow import Entity, Event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplyResult:
    object_urn: str
    changes: list[Change]
    dry_run: bool
    change_set_id: str = ""
    version: str = ""


class CapsuleCodeUseCases:
    def __init__(
        self,
        tx: SemanticsTransactions,
        *,
        column_payload: ChangePayload,
        link_payload: ChangePayload,
        layers: Sequence[str] = DEFAULT_LAYERS,
        quality: QualityRules | None = None,
    ) -> None:
        self.tx = tx
        self.quality = quality
        self.column_payload, self.link_payload = column_payload, link_payload
        self.layers = tuple(layer.strip().lower() for layer in layers)

    async def export(self, ref: str) -> tuple[str, str]:
        """(object URN, the YAML file of what the catalog holds of the capsule's meaning)."""
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            state: dict[str, Any] = dict(await semantic_state(uow, obj))
        if self.quality is not None:
            state["quality_rules"] = await self.quality.rules_of(obj["urn"])
        return obj["urn"], files.render({"urn": obj["urn"], "name": obj["name"], **state})

    async def apply(self, *, ref: str, content: str, dry_run: bool) -> ApplyResult:
        parsed = files.parse(content, layers=self.layers)
        rules = Undo()
        try:
            async with self.tx() as uow:
                obj = await require_object(uow, ref)
                if not dry_run:  # the plan must hold until it is written
                    await uow.objects.lock(obj["id"])
                current: dict[str, Any] = dict(await semantic_state(uow, obj))
                sections = await _checked(uow, obj, parsed, current)
                had_rules = await self._checked_rules(uow, obj, sections, current)
                target = files.desired(current, sections)
                changes = files.plan(current, target)
                if "quality_rules" in sections:
                    changes += capsule_rules.plan(had_rules, target["quality_rules"])
                if dry_run or not changes:
                    return ApplyResult(obj["urn"], changes, dry_run)
                change_set = str(uuid.uuid4())
                with context.bound(context.current().with_change_set(change_set)):
                    version = await self._write(uow, obj, sections, changes)
                    await self._write_rules(obj["urn"], had_rules, sections, rules)
        except BaseException:
            with context.bound(context.current().with_change_set(rules.change_set)):
                await rules.undo()
            raise
        return ApplyResult(obj["urn"], changes, False, change_set, version)

    async def _checked_rules(
        self,
        uow: SemanticsUnit,
        obj: Record,
        sections: dict[str, Any],
        current: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """The capsule's rules now (also put in `current`), once the quality service has found
        nothing wrong with the file's rules; [] when the file has no quality_rules section."""
        if "quality_rules" not in sections:
            return []
        problems = Problems()
        path = f"{ROOT}.quality_rules"
        if self.quality is None:
            problems.add(path, "this catalog does not reach the quality service")
            problems.raise_any()
        assert self.quality is not None
        wanted = sections["quality_rules"]
        known = {c["name"] for c in await uow.objects.columns(obj)}
        for i, rule in enumerate(wanted):
            if rule["column"] and rule["column"] not in known:
                problems.add(
                    f"{path}[{i}].column", f"{obj['ref']} has no column {rule['column']!r}"
                )
        checked = await self.quality.validate(obj["urn"], wanted)
        for i, answer in enumerate(checked):
            if isinstance(answer, str):
                problems.add(f"{path}[{i}]", answer)
        problems.raise_any()
        # The rules as the quality service stores them (a file may leave out defaults).
        sections["quality_rules"] = [
            {**rule, "config": answer["config"]}
            for rule, answer in zip(wanted, checked, strict=True)
            if isinstance(answer, dict)
        ]
        had = await self.quality.rules_of(obj["urn"])
        current["quality_rules"] = had
        return had

    async def _write_rules(
        self,
        object_urn: str,
        had: Sequence[Mapping[str, Any]],
        sections: Mapping[str, Any],
        undo: Undo,
    ) -> None:
        """The quality service's rules made what the file says: removals, then changes, then
        new rules; each write's inverse recorded in `undo`."""
        if "quality_rules" not in sections or self.quality is None:
            return
        quality = self.quality
        undo.change_set = context.current().change_set
        before = capsule_rules.keyed(had)
        after = capsule_rules.keyed(sections["quality_rules"])
        for k in sorted(set(before) - set(after)):
            old = before[k]
            await quality.delete(old["id"])
            undo.add(partial(quality.create, object_urn, old))
        for k in sorted(set(before) & set(after)):
            old, new = before[k], after[k]
            if capsule_rules.comparable(old) == capsule_rules.comparable(new):
                continue
            await quality.update(old["id"], new)
            undo.add(partial(quality.update, old["id"], old))
        for k in sorted(set(after) - set(before)):
            rule_id = await quality.create(object_urn, after[k])
            undo.add(partial(quality.delete, rule_id))

    async def _write(
        self,
        uow: SemanticsUnit,
        obj: Record,
        sections: Mapping[str, Any],
        changes: Sequence[Change],
    ) -> str:
        actor = context.current().actor
        entity = Entity("object", obj["id"], obj["urn"])
        capsule = {c.path: c.new for c in changes if c.section == "capsule"}
        if capsule:
            values = {k: (v if k == "tags" else v or None) for k, v in capsule.items()}
            await uow.objects.update(obj["id"], values)
            await uow.record_change(
                "object.update", entity, {k: obj[k] for k in values}, dict(values)
            )
        for column, fields in files.column_changes(changes).items():
            before = await column_view(uow, obj, column)
            wanted = sections["columns"].get(column, {})
            values = {k: wanted.get(k) for k in fields}
            if "value_domain" in values:
                name = values.pop("value_domain")
                found = await uow.semantics.get_domain(name=name) if name else None
                values["value_domain_id"] = found["id"] if found else None
            await uow.semantics.upsert_column(obj["id"], column, {**values, "updated_by": actor})
            after = await column_view(uow, obj, column)
            await uow.record_change(
                "column.describe",
                Entity("column", after["column_urn"], after["column_urn"]),
                column_public({**before, **before["claims"]}),
                column_public({**after, **after["claims"]}),
                event=Event(
                    event_catalogue.COLUMN_SEMANTICS_CHANGED,
                    after["column_urn"],
                    self.column_payload("updated", after),
                ),
            )
        await self._write_links(uow, obj, changes, actor)
        row = None
        if any(c.section != capsule_rules.SECTION for c in changes):
            fresh = await require_object(uow, obj["urn"])
            row = await record_version(uow, fresh)
        await uow.audit(
            "capsule.apply",
            entity,
            {"changes": (None, [c.as_dict() for c in changes])},
        )
        return row["version"] if row else ""

    async def _write_links(
        self, uow: SemanticsUnit, obj: Record, changes: Sequence[Change], actor: str
    ) -> None:
        for change in changes:
            if not change.term:
                continue
            column, term = change.column, change.term
            found = await uow.glossary.get(name=term)
            assert found is not None  # resolved by _checked in this transaction
            before = await uow.glossary.link(obj["id"], column, found["id"])
            after = None
            if change.new is None:
                assert before is not None
                await uow.glossary.delete_link(before["id"])
            else:
                after = await uow.glossary.upsert_link(
                    {
                        "object_id": obj["id"],
                        "column_name": column,
                        "term_id": found["id"],
                        "link_type": change.new,
                        "created_by": actor,
                    }
                )
            action = "delete" if after is None else "create" if before is None else "update"
            link = after or before
            assert link is not None
            await uow.record_change(
                f"term_link.{action}",
                Entity("object", obj["id"], obj["urn"]),
                None if before is None else link_public(before),
                None if after is None else link_public(after),
                event=Event(
                    event_catalogue.TERM_LINK_CHANGED,
                    obj["urn"],
                    self.link_payload(f"{action}d", link_view(link)),
                ),
            )


class Undo:
    """The inverses of the writes done in other services, run newest first when an apply
    fails; an inverse that fails is logged and the rest still run."""

    def __init__(self) -> None:
        self.steps: list[Callable[[], Awaitable[Any]]] = []
        self.change_set = ""

    def add(self, step: Callable[[], Awaitable[Any]]) -> None:
        self.steps.append(step)

    async def undo(self) -> None:
        while self.steps:
            step = self.steps.pop()
            try:
                await step()
            except Exception:
                log.exception("capsule apply: undoing a quality rule write failed")


async def _checked(
    uow: SemanticsUnit, obj: Record, parsed: files.CapsuleFile, current: Mapping[str, Any]
) -> dict[str, Any]:
    """The file's sections resolved against the catalog (term names as stored); every
    problem (identity, unknown columns, terms and value domains, contradicting claims) is
    raised at once, naming its path."""
    problems = Problems()
    if parsed.urn and parsed.urn != obj["urn"]:
        problems.add(f"{ROOT}.urn", f"the file is for {parsed.urn}, not {obj['urn']}")
    if parsed.name and parsed.name != obj["name"]:
        problems.add(f"{ROOT}.name", f"the file is for {parsed.name!r}, not {obj['name']!r}")
    sections = dict(parsed.sections)
    columns: dict[str, dict[str, Any]] = sections.get("columns", {})
    wanted_terms = list(sections.get("business_terms", {}))
    for values in columns.values():
        wanted_terms.extend(values["business_terms"])
    terms = await uow.glossary.ids_by_name(wanted_terms)

    def resolve(links: Mapping[str, str], path: str, had: Mapping[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, link_type in links.items():
            found = terms.get(name.lower())
            if found is None:
                problems.add(f"{path}.{name}", "unknown business term")
                continue
            stored = found["name"]
            if found["status"] == glossary.DEPRECATED and had.get(stored) != link_type:
                problems.add(f"{path}.{name}", "the term is deprecated: link another")
            out[stored] = link_type
        return out

    if "business_terms" in sections:
        sections["business_terms"] = resolve(
            sections["business_terms"], f"{ROOT}.business_terms", current["business_terms"]
        )
    known = {c["name"] for c in await uow.objects.columns(obj)}
    for name, values in columns.items():
        path = f"{ROOT}.columns.{name}"
        if name not in known:
            problems.add(path, f"{obj['ref']} has no column {name!r}")
            continue
        had = current["columns"].get(name, {}).get("business_terms", {})
        values["business_terms"] = resolve(values["business_terms"], f"{path}.business_terms", had)
        domain = None
        if values["value_domain"]:
            domain = await uow.semantics.get_domain(name=values["value_domain"])
            if domain is None:
                problems.add(
                    f"{path}.value_domain", f"unknown value domain {values['value_domain']!r}"
                )
                continue
            values["value_domain"] = domain["name"]
        effective = effective_claims(values, domain)
        problems.check(path, check_range, effective["min_value"], effective["max_value"], name)
    problems.raise_any()
    return sections
