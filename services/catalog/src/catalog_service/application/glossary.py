"""Use cases of the business glossary: terms (create, search, show, edit, delete), their
approval workflow, import/export of a whole glossary, and term links from capsules and columns.
Every change is audited and announced in its own transaction; an import is one transaction."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from catalog_service.application.objects import require_object
from catalog_service.application.ports import Record
from catalog_service.application.semantic_versions import record_version
from catalog_service.application.semantics_ports import (
    ChangePayload,
    SemanticsTransactions,
    SemanticsUnit,
)
from catalog_service.domain import glossary as domain
from catalog_service.domain import glossary_files as files
from catalog_service.domain.glossary import Edge, TermSpec
from catalog_service.domain.objects import column_urn
from dckit import context, event_catalogue
from dckit.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound
from dckit.paging import paginate
from dckit.uow import Entity, Event

MAX_NAMED_LINKS = 5


@dataclass(frozen=True)
class ImportResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    dry_run: bool


class GlossaryUseCases:
    def __init__(
        self,
        tx: SemanticsTransactions,
        *,
        term_payload: ChangePayload,
        link_payload: ChangePayload,
    ) -> None:
        self.tx = tx
        self.term_payload, self.link_payload = term_payload, link_payload

    # ------------------------------------------------------------ terms
    async def create(self, spec: TermSpec, *, comment: str = "") -> Record:
        spec = spec.validated()
        comment = domain.clean_comment(comment)
        actor = context.current().actor
        async with self.tx() as uow:
            await uow.glossary.lock_relations()
            related = await _resolve(uow, spec.related)
            term_id = await uow.glossary.insert(
                {
                    **spec.row(),
                    "status": domain.DRAFT,
                    "created_by": actor,
                    "updated_by": actor,
                }
            )
            await _check_cycles(uow, {term_id: related})
            await uow.glossary.set_relations(term_id, related)
            await uow.glossary.add_history(
                term_id, from_status=None, to_status=domain.DRAFT, actor=actor, comment=comment
            )
            term = await _term(uow, term_id, with_history=True)
            await self._record(uow, "create", "created", None, term)
        return term

    async def get(self, term: str) -> Record:
        async with self.tx() as uow:
            found = await _require(uow, term)
            return await _term(uow, found["id"], with_history=True)

    async def page(
        self, *, query: str, status: str, category: str, domain_name: str, limit: int, cursor: str
    ) -> tuple[list[Record], str]:
        status = domain.status_filter(status)
        async with self.tx() as uow:
            rows, next_cursor = await paginate(
                limit,
                cursor,
                lambda offset, count: uow.glossary.search(
                    query=query,
                    status=status,
                    category=category.strip(),
                    domain=domain_name.strip(),
                    offset=offset,
                    count=count,
                ),
            )
            related = await uow.glossary.relations([r["id"] for r in rows])
        return [{**r, "related": related.get(r["id"], []), "history": []} for r in rows], (
            next_cursor
        )

    async def update(self, term: str, *, fields: Collection[str], spec: TermSpec) -> Record:
        fields = set(fields)
        if not fields or fields - set(domain.EDITABLE):
            raise InvalidArgument(f"updatable fields are {', '.join(domain.EDITABLE)}")
        spec = spec.validated(fields)
        async with self.tx() as uow:
            found = await _require(uow, term, for_update=True)
            before = await _term(uow, found["id"])
            values = spec.row(fields)
            if values:
                await uow.glossary.update(
                    found["id"], {**values, "updated_by": context.current().actor}
                )
            if "related" in fields:
                await uow.glossary.lock_relations()
                domain.clean_related(spec.related, values.get("name") or before["name"])
                related = await _resolve(uow, spec.related)
                await _check_cycles(uow, {found["id"]: related})
                await uow.glossary.set_relations(found["id"], related)
            after = await _term(uow, found["id"], with_history=True)
            await self._record(uow, "update", "updated", before, after, skip_unchanged=True)
        return after

    async def delete(self, term: str, *, force: bool) -> int:
        """Delete a term; while capsules or columns link it, only with `force` (which deletes
        the links too). Returns how many links went."""
        async with self.tx() as uow:
            found = await _require(uow, term, for_update=True)
            before = await _term(uow, found["id"])
            links = await uow.glossary.links(
                object_id=None, column=None, term_id=found["id"], offset=0, count=None
            )
            if links and not force:
                named = ", ".join(_link_name(link) for link in links[:MAX_NAMED_LINKS])
                more = len(links) - MAX_NAMED_LINKS
                raise Conflict(
                    f"term {found['name']!r} is linked from {len(links)} capsule(s) or "
                    f"column(s): {named}{f' and {more} more' if more > 0 else ''}; "
                    "delete with force to remove the links too"
                )
            for link in links:
                await self._record_link(uow, "delete", "deleted", link, None)
            await uow.glossary.delete_links_of(found["id"])
            await uow.glossary.delete(found["id"])
            await self._record(uow, "delete", "deleted", before, None)
        return len(links)

    async def change_status(self, term: str, *, status: str, comment: str) -> Record:
        """One workflow step (who may take it is the gateway's table: stewards approve and
        deprecate), recorded in the term's history with its actor, time and comment."""
        comment = domain.clean_comment(comment)
        actor = context.current().actor
        async with self.tx() as uow:
            found = await _require(uow, term, for_update=True)
            domain.check_transition(found["name"], found["status"], status)
            before = await _term(uow, found["id"])
            await uow.glossary.update(found["id"], {"status": status, "updated_by": actor})
            await uow.glossary.add_history(
                found["id"],
                from_status=found["status"],
                to_status=status,
                actor=actor,
                comment=comment,
            )
            after = await _term(uow, found["id"], with_history=True)
            await self._record(uow, "status", "status_changed", before, after)
        return after

    # ------------------------------------------------------------ files
    async def export(self, fmt: str) -> tuple[str, str, int]:
        fmt = files.check_format(fmt, default="yaml")
        async with self.tx() as uow:
            terms = await uow.glossary.all()
            related = await uow.glossary.relations([t["id"] for t in terms])
        docs = [{**t, "related": related.get(t["id"], [])} for t in terms]
        return fmt, files.render(fmt, docs), len(docs)

    async def import_(self, fmt: str, content: str, *, dry_run: bool) -> ImportResult:
        """Validate the whole file against the glossary first (fields, statuses, related terms
        known, no cycles); then write all of it in one transaction, or nothing."""
        entries = files.parse(fmt, content)
        actor = context.current().actor
        async with self.tx() as uow:
            await uow.glossary.lock_relations()
            plan = await _plan_import(uow, entries)
            if dry_run:
                return plan.result(dry_run=True)
            ids: dict[str, int] = {k: r["id"] for k, r in plan.existing.items()}
            unchanged = {name.lower() for name in plan.unchanged}
            todo = [e for e in entries if e.spec.name.lower() not in unchanged]
            befores: dict[int, Record] = {}
            for entry in todo:  # terms first, so relations can name any of them
                key = entry.spec.name.lower()
                values = {**entry.spec.row(entry.present), "updated_by": actor}
                if key in ids:
                    befores[ids[key]] = await _term(uow, ids[key])
                    if key in plan.updated_keys:
                        await uow.glossary.update(ids[key], values)
                else:
                    ids[key] = await uow.glossary.insert(
                        {
                            **values,
                            "status": entry.status or domain.DRAFT,
                            "created_by": actor,
                        }
                    )
                status_from = plan.status_from.get(key, "-")
                if status_from != "-":
                    if status_from is not None:
                        await uow.glossary.update(ids[key], {"status": entry.status})
                    await uow.glossary.add_history(
                        ids[key],
                        from_status=status_from,
                        to_status=entry.status or domain.DRAFT,
                        actor=actor,
                        comment="imported",
                    )
            for entry in todo:
                if "related" in entry.present:
                    pairs = [(r, ids[t.lower()]) for r, t in entry.spec.related]
                    await uow.glossary.set_relations(ids[entry.spec.name.lower()], pairs)
            for entry in todo:
                term_id = ids[entry.spec.name.lower()]
                after = await _term(uow, term_id)
                before = befores.get(term_id)
                if before is None:
                    await self._record(uow, "import", "created", None, after)
                else:
                    await self._record(uow, "import", "updated", before, after, skip_unchanged=True)
        return plan.result(dry_run=False)

    # ------------------------------------------------------------ links
    async def links(
        self, *, ref: str, column: str, term: str, limit: int, cursor: str
    ) -> tuple[list[Record], str]:
        async with self.tx() as uow:
            obj = await require_object(uow, ref) if ref else None
            if column and obj is None:
                raise InvalidArgument("a column needs the capsule it belongs to")
            found = await _require(uow, term) if term else None
            rows, next_cursor = await paginate(
                limit,
                cursor,
                lambda offset, count: uow.glossary.links(
                    object_id=obj["id"] if obj else None,
                    column=column if column else None,
                    term_id=found["id"] if found else None,
                    offset=offset,
                    count=count,
                ),
            )
        return [link_view(r) for r in rows], next_cursor

    async def link(self, *, ref: str, column: str, term: str, link_type: str) -> Record:
        link_type = domain.check_link_type(link_type)
        column = column.strip()
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            if column:
                await require_column(uow, obj, column)
            found = await _require(uow, term)
            if found["status"] == domain.DEPRECATED:
                raise FailedPrecondition(f"term {found['name']!r} is deprecated: link another")
            before = await uow.glossary.link(obj["id"], column, found["id"])
            after = await uow.glossary.upsert_link(
                {
                    "object_id": obj["id"],
                    "column_name": column,
                    "term_id": found["id"],
                    "link_type": link_type,
                    "created_by": context.current().actor,
                }
            )
            if before is None:
                await self._record_link(uow, "create", "created", None, after)
            elif before["link_type"] != after["link_type"]:
                await self._record_link(uow, "update", "updated", before, after)
            await record_version(uow, obj)
        return link_view(after)

    async def unlink(self, *, ref: str, column: str, term: str) -> None:
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            found = await _require(uow, term)
            before = await uow.glossary.link(obj["id"], column.strip(), found["id"])
            if before is None:
                where = f"{obj['ref']}.{column}" if column else obj["ref"]
                raise NotFound(f"{where} is not linked to term {found['name']!r}")
            await uow.glossary.delete_link(before["id"])
            await self._record_link(uow, "delete", "deleted", before, None)
            await record_version(uow, obj)

    # ------------------------------------------------------------ audit + events
    async def _record(
        self,
        uow: SemanticsUnit,
        action: str,
        change: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        *,
        skip_unchanged: bool = False,
    ) -> None:
        term = after or before
        assert term is not None
        await uow.record_change(
            f"business_term.{action}",
            Entity("business_term", term["id"]),
            None if before is None else domain.public(before, before["related"]),
            None if after is None else domain.public(after, after["related"]),
            event=Event(
                event_catalogue.BUSINESS_TERM_CHANGED,
                term_subject(term["id"]),
                self.term_payload(change, term),
            ),
            skip_unchanged=skip_unchanged,
        )

    async def _record_link(
        self,
        uow: SemanticsUnit,
        action: str,
        change: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        link = after or before
        assert link is not None
        await uow.record_change(
            f"term_link.{action}",
            Entity("object", link["object_id"], link["object_urn"]),
            None if before is None else link_public(before),
            None if after is None else link_public(after),
            event=Event(
                event_catalogue.TERM_LINK_CHANGED,
                link["object_urn"],
                self.link_payload(change, link_view(link)),
            ),
        )


def term_subject(term_id: int) -> str:
    return f"business_term:{term_id}"


async def require_column(uow: SemanticsUnit, obj: Mapping[str, Any], column: str) -> Record:
    for col in await uow.objects.columns(obj):
        if col["name"] == column:
            return col
    raise NotFound(f"capsule {obj['ref']} has no column {column!r}")


async def _require(uow: SemanticsUnit, term: str, *, for_update: bool = False) -> Record:
    text = (term or "").strip()
    if not text:
        raise InvalidArgument("name a term (its id or name)")
    if text.isdigit():
        found = await uow.glossary.get(term_id=int(text), for_update=for_update)
    else:
        found = await uow.glossary.get(name=" ".join(text.split()), for_update=for_update)
    if found is None:
        raise NotFound(f"business term {text!r} not found")
    return found


async def _term(uow: SemanticsUnit, term_id: int, *, with_history: bool = False) -> Record:
    row = await uow.glossary.get(term_id=term_id)
    assert row is not None
    related = (await uow.glossary.relations([term_id])).get(term_id, [])
    history = await uow.glossary.history(term_id) if with_history else []
    return {**row, "related": related, "history": history}


async def _resolve(uow: SemanticsUnit, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """(relation, term name) → (relation, term id); InvalidArgument naming unknown terms."""
    found = await uow.glossary.ids_by_name([name for _, name in pairs])
    missing = sorted({name for _, name in pairs if name.lower() not in found})
    if missing:
        raise InvalidArgument(f"related term(s) not in the glossary: {', '.join(missing)}")
    return [(relation, found[name.lower()]["id"]) for relation, name in pairs]


async def _check_cycles(
    uow: SemanticsUnit, replaced: Mapping[int, Sequence[tuple[str, int]]]
) -> None:
    """InvalidArgument when the relations, with `replaced` terms' relations swapped for the
    given ones, hold a cycle."""
    edges: list[Edge] = [
        (str(a), r, str(b)) for a, r, b in await uow.glossary.all_relations() if a not in replaced
    ]
    edges += [(str(a), r, str(b)) for a, pairs in replaced.items() for r, b in pairs]
    names = {str(i): n for i, n in (await uow.glossary.names()).items()}
    domain.check_acyclic(edges, names)


@dataclass
class _ImportPlan:
    existing: dict[str, Record]  # lower name → {id, name, status} of terms already there
    created: list[str]
    updated_keys: set[str]  # entries whose stored fields change
    changed: list[str]  # names of existing terms that change (fields, status or relations)
    unchanged: list[str]
    status_from: dict[str, str | None]  # lower name → the status it leaves (None: new term)

    def result(self, *, dry_run: bool) -> ImportResult:
        return ImportResult(self.created, self.changed, self.unchanged, dry_run)


async def _plan_import(uow: SemanticsUnit, entries: Sequence[files.Entry]) -> _ImportPlan:
    in_file = {e.spec.name.lower(): e for e in entries}
    referenced = [t for e in entries for _, t in e.spec.related]
    existing = await uow.glossary.ids_by_name([*(e.spec.name for e in entries), *referenced])
    known = set(in_file) | set(existing)
    errors: list[str] = []
    for entry in entries:
        key = entry.spec.name.lower()
        if key not in existing and "definition" not in entry.present:
            errors.append(f"{entry.where}: new term {entry.spec.name!r} needs a definition")
        unknown = sorted({t for _, t in entry.spec.related if t.lower() not in known})
        if unknown:
            errors.append(f"{entry.where}: related term(s) not found: {', '.join(unknown)}")
    files.fail_on(errors)
    # Relations after the import, as lower-case names: stored ones of terms whose entry does
    # not name `related`, and the file's.
    names = await uow.glossary.names()
    replaced = {k for k, e in in_file.items() if "related" in e.present}
    edges: list[Edge] = [
        (names[a].lower(), r, names[b].lower())
        for a, r, b in await uow.glossary.all_relations()
        if names[a].lower() not in replaced
    ]
    edges += [
        (e.spec.name.lower(), r, t.lower())
        for e in entries
        if "related" in e.present
        for r, t in e.spec.related
    ]
    display = {n.lower(): n for n in names.values()} | {k: e.spec.name for k, e in in_file.items()}
    domain.check_acyclic(edges, display)
    stored_related = await uow.glossary.relations([r["id"] for r in existing.values()])
    stored = await uow.glossary.many([r["id"] for r in existing.values()])
    plan = _ImportPlan(existing, [], set(), [], [], {})
    for entry in entries:
        key = entry.spec.name.lower()
        if key not in existing:
            plan.created.append(entry.spec.name)
            plan.status_from[key] = None
            continue
        current = stored[existing[key]["id"]]
        values = entry.spec.row(entry.present)
        fields_change = any(_stored(current.get(k)) != _stored(v) for k, v in values.items())
        if fields_change:
            plan.updated_keys.add(key)
        status_change = bool(entry.status) and entry.status != current["status"]
        if status_change:
            plan.status_from[key] = current["status"]
        relations_change = "related" in entry.present and {
            (r["relation"], r["term"].lower()) for r in stored_related.get(current["id"], [])
        } != {(r, t.lower()) for r, t in entry.spec.related}
        if fields_change or status_change or relations_change:
            plan.changed.append(entry.spec.name)
        else:
            plan.unchanged.append(entry.spec.name)
    return plan


def _stored(value: Any) -> Any:
    """A value as compared with what is stored ("" and None alike, lists as lists)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    return value or None


def _link_name(link: Mapping[str, Any]) -> str:
    return (
        f"{link['object_ref']}.{link['column_name']}" if link["column_name"] else link["object_ref"]
    )


def link_public(link: Mapping[str, Any]) -> dict[str, Any]:
    """The auditable view of a term link."""
    return {
        "term": link["term_name"],
        "column": link["column_name"],
        "link_type": link["link_type"],
    }


def link_view(link: Mapping[str, Any]) -> dict[str, Any]:
    """A term link as answers and events show it."""
    column = link["column_name"]
    return {
        **link,
        "column": column,
        "column_urn": column_urn(link["object_urn"], column) if column else "",
    }
