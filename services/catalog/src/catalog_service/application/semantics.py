"""Use cases of column meaning and value domains: show a capsule's columns with what they mean
(own claims and the effective ones, inherited from their value domain), describe a column, and
create, list, show and delete value domains. Every change is audited and announced."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from catalog_service.application.glossary import require_column
from catalog_service.application.objects import require_object
from catalog_service.application.ports import Record
from catalog_service.application.semantic_versions import record_version
from catalog_service.application.semantics_ports import (
    ChangePayload,
    SemanticsTransactions,
    SemanticsUnit,
)
from catalog_service.domain import semantics as domain
from catalog_service.domain.objects import column_urn
from catalog_service.domain.semantics import ColumnMeaning, ValueDomainSpec
from dckit import context, event_catalogue
from dckit.errors import Conflict, InvalidArgument, NotFound
from dckit.paging import paginate
from dckit.uow import Entity, Event

MAX_NAMED_USERS = 5


class SemanticsUseCases:
    def __init__(
        self,
        tx: SemanticsTransactions,
        *,
        column_payload: ChangePayload,
        domain_payload: ChangePayload,
    ) -> None:
        self.tx = tx
        self.column_payload, self.domain_payload = column_payload, domain_payload

    # ------------------------------------------------------------ column meaning
    async def columns(self, ref: str) -> list[Record]:
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            stored = await uow.semantics.column_rows(obj["id"])
            domains = await _domains_of(uow, stored.values())
            return [
                _view(obj, col, stored.get(col["name"]), domains)
                for col in await uow.objects.columns(obj)
            ]

    async def column(self, *, ref: str, column: str) -> Record:
        async with self.tx() as uow:
            return await column_view(uow, await require_object(uow, ref), column)

    async def describe(
        self, *, ref: str, column: str, paths: Collection[str], meaning: ColumnMeaning
    ) -> Record:
        """Write the fields `paths` names (update-mask paths); the rest stays."""
        values = domain.column_values(meaning, domain.column_fields(paths))
        async with self.tx() as uow:
            obj = await require_object(uow, ref)
            before = await column_view(uow, obj, column)
            if "value_domain" in values:
                name = values.pop("value_domain")
                found = await uow.semantics.get_domain(name=name) if name else None
                if name and found is None:
                    raise InvalidArgument(f"value domain {name!r} not found")
                values["value_domain_id"] = found["id"] if found else None
            await uow.semantics.upsert_column(
                obj["id"], column, {**values, "updated_by": context.current().actor}
            )
            after = await column_view(uow, obj, column)
            effective = after["effective"]
            domain.check_range(effective["min_value"], effective["max_value"], column)
            domain.check_range(after["claims"]["min_value"], after["claims"]["max_value"], column)
            await uow.record_change(
                "column.describe",
                Entity("column", after["column_urn"], after["column_urn"]),
                domain.column_public(_flat(before)),
                domain.column_public(_flat(after)),
                event=Event(
                    event_catalogue.COLUMN_SEMANTICS_CHANGED,
                    after["column_urn"],
                    self.column_payload("updated", after),
                ),
                skip_unchanged=True,
            )
            await record_version(uow, obj)
        return after

    # ------------------------------------------------------------ value domains
    async def create_domain(self, spec: ValueDomainSpec) -> Record:
        spec = spec.validated()
        values = spec.row()
        async with self.tx() as uow:
            if spec.domain_type == domain.REFERENCE:
                target = await require_object(uow, spec.reference_object)
                await require_column(uow, target, spec.reference_column)
                values["reference_object_urn"] = target["urn"]
            row = await uow.semantics.insert_domain(
                {**values, "created_by": context.current().actor}
            )
            await self._record_domain(uow, "create", "created", None, row)
        return row

    async def update_domain(
        self, name: str, *, paths: Collection[str], spec: ValueDomainSpec
    ) -> Record:
        """Change the fields `paths` names; the domain is validated as a whole afterwards."""
        async with self.tx() as uow:
            found = await _require_domain(uow, name, for_update=True)
            merged = domain.updated_domain(domain.domain_spec_of(found), paths, spec)
            values = {**merged.row(), "reference_object_urn": None}
            if merged.domain_type == domain.REFERENCE:
                target = await require_object(uow, merged.reference_object)
                await require_column(uow, target, merged.reference_column)
                values["reference_object_urn"] = target["urn"]
            row = await uow.semantics.update_domain(found["id"], values)
            await self._record_domain(uow, "update", "updated", found, row)
        return row

    async def get_domain(self, name: str) -> Record:
        async with self.tx() as uow:
            return await _require_domain(uow, name)

    async def domains(
        self, *, domain_type: str, limit: int, cursor: str
    ) -> tuple[list[Record], str]:
        if domain_type and domain_type not in domain.DOMAIN_TYPES:
            raise InvalidArgument(f"domain_type must be one of {', '.join(domain.DOMAIN_TYPES)}")
        async with self.tx() as uow:
            return await paginate(
                limit,
                cursor,
                lambda offset, count: uow.semantics.domains(domain_type, offset, count),
            )

    async def delete_domain(self, name: str) -> None:
        async with self.tx() as uow:
            found = await _require_domain(uow, name, for_update=True)
            users = await uow.semantics.domain_users(found["id"], MAX_NAMED_USERS + 1)
            if users:
                named = ", ".join(
                    f"{u['object_ref']}.{u['column_name']}" for u in users[:MAX_NAMED_USERS]
                )
                raise Conflict(
                    f"value domain {found['name']!r} is used by {found['column_count']} "
                    f"column(s): {named}; take it off them first"
                )
            await uow.semantics.delete_domain(found["id"])
            await self._record_domain(uow, "delete", "deleted", found, None)

    async def _record_domain(
        self,
        uow: SemanticsUnit,
        action: str,
        change: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        row = after or before
        assert row is not None
        await uow.record_change(
            f"value_domain.{action}",
            Entity("value_domain", row["id"]),
            None if before is None else _domain_public(before),
            None if after is None else _domain_public(after),
            event=Event(
                event_catalogue.VALUE_DOMAIN_CHANGED,
                f"value_domain:{row['id']}",
                self.domain_payload(change, row),
            ),
        )


async def _require_domain(uow: SemanticsUnit, name: str, *, for_update: bool = False) -> Record:
    text = (name or "").strip()
    if not text:
        raise InvalidArgument("name a value domain")
    found = await uow.semantics.get_domain(name=text, for_update=for_update)
    if found is None:
        raise NotFound(f"value domain {text!r} not found")
    return found


async def _domains_of(uow: SemanticsUnit, rows: Collection[Mapping[str, Any]]) -> dict[int, Record]:
    return await uow.semantics.domains_by_id(
        sorted({r["value_domain_id"] for r in rows if r["value_domain_id"] is not None})
    )


async def column_view(uow: SemanticsUnit, obj: Mapping[str, Any], column: str) -> Record:
    """A column with its meaning, as answers show it (NotFound for an unknown column)."""
    col = await require_column(uow, obj, column)
    stored = (await uow.semantics.column_rows(obj["id"])).get(column)
    domains = await _domains_of(uow, [stored] if stored else [])
    return _view(obj, col, stored, domains)


def _view(
    obj: Mapping[str, Any],
    col: Mapping[str, Any],
    stored: Mapping[str, Any] | None,
    domains: Mapping[int, Mapping[str, Any]],
) -> Record:
    """A column with its meaning, as answers show it."""
    row: Mapping[str, Any] = stored or {}
    own = {claim: row.get(claim) for claim in domain.CLAIMS}
    value_domain = domains.get(row["value_domain_id"]) if row.get("value_domain_id") else None
    return {
        "object_urn": obj["urn"],
        "object_ref": obj["ref"],
        "column": col["name"],
        "column_urn": column_urn(obj["urn"], col["name"]),
        "data_type": col["data_type"],
        "source_comment": col["comment"],
        "business_definition": row.get("business_definition"),
        "semantic_type": row.get("semantic_type"),
        "unit_of_measure": row.get("unit_of_measure"),
        "value_domain": value_domain["name"] if value_domain else None,
        "claims": own,
        "examples": list(row.get("examples") or []),
        "effective": domain.effective_claims(own, value_domain),
        "updated_by": row.get("updated_by"),
        "updated_at": row.get("updated_at"),
    }


def _flat(view: Mapping[str, Any]) -> dict[str, Any]:
    return {**view, **view["claims"]}


def _domain_public(row: Mapping[str, Any]) -> dict[str, Any]:
    keys = (
        "name",
        "domain_type",
        "description",
        "allowed_values",
        "min_value",
        "max_value",
        "pattern",
        "reference_object_urn",
        "reference_column",
        "extensible",
        "owner",
    )
    return {k: row.get(k) for k in keys}
