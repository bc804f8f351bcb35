"""Use cases for object ownership (owner, steward, delegate) and business domains. Every change
is audited and published (datacompass.governance.ownership.changed / domain.changed) in its own
transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from dckit import context
from dckit.db import Database
from dckit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from dckit.outbox import Outbox, diff
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from governance_service.adapters.catalog_grpc import CatalogObject, GrpcCatalog
from governance_service.db.ownership_repo import OwnershipRepository, Row
from governance_service.domain import ownership as dom

OWNERSHIP_CHANGED = "datacompass.governance.ownership.changed"
DOMAIN_CHANGED = "datacompass.governance.domain.changed"


@dataclass
class DomainView:
    row: Row
    parent: str
    children: list[str]
    object_count: int
    depth: int = 0


@dataclass
class ObjectOwnersView:
    obj: CatalogObject
    owners: list[Row]
    domain: str


@dataclass
class Rights:
    owner: bool
    steward: bool


@dataclass
class Events:
    ownership: Callable[[Row], Message]
    domain: Callable[[DomainView], Message]
    domain_object: Callable[[Row, str], Message]


def _domain_snapshot(row: Row | None, parent: str) -> dict[str, Any]:
    if row is None:
        return {}
    return {"name": row["name"], "description": row["description"], "parent": parent or None}


def _identities(username: str) -> list[str]:
    """The identifiers an assignment may name the user by (emails are stored lower-case)."""
    return sorted({username, username.lower()})


class OwnershipUseCases:
    def __init__(self, db: Database, outbox: Outbox, catalog: GrpcCatalog, events: Events) -> None:
        self.db, self.outbox, self.catalog, self.events = db, outbox, catalog, events

    # ------------------------------------------------------------ owners
    async def assign(self, ref: str, user: str, role: str) -> Row:
        user, role = dom.check_user(user), dom.check_role(role, default="owner")
        obj = await self.catalog.get(ref)
        async with self.db.session() as session:
            row = await OwnershipRepository(session).insert_owner(
                {
                    "object_urn": obj.urn,
                    "object_ref": obj.ref,
                    "source_name": obj.source_name,
                    "user_id": user,
                    "role": role,
                    "assigned_by": context.current().actor,
                }
            )
            if row is None:
                raise dom_already(user, role, obj.ref)
            await self._audit_owner(session, "ownership.assign", obj, {}, row)
            return row

    async def remove(self, ref: str, user: str, role: str) -> int:
        user = dom.check_user(user)
        role = dom.check_role(role) if role.strip() else ""
        obj = await self.catalog.get(ref)
        async with self.db.session() as session:
            removed = await OwnershipRepository(session).delete_owners(obj.urn, user, role)
            if not removed:
                what = f"role {role!r}" if role else "any role"
                raise NotFound(f"{user!r} has {what} on {obj.ref!r}")
            for row in removed:
                await self._audit_owner(session, "ownership.remove", obj, row, {})
            return len(removed)

    async def _audit_owner(
        self, session: Any, action: str, obj: CatalogObject, before: Any, after: Any
    ) -> None:
        keys = ("user_id", "role")
        await self.outbox.audit(
            session,
            action=action,
            entity_type="object",
            entity_id=obj.ref,
            entity_urn=obj.urn,
            changes=diff(
                {("user" if k == "user_id" else k): before[k] for k in keys} if before else {},
                {("user" if k == "user_id" else k): after[k] for k in keys} if after else {},
            ),
        )
        await self.outbox.publish(
            session, OWNERSHIP_CHANGED, obj.urn, self.events.ownership(after or before)
        )

    async def owners(self, ref: str) -> ObjectOwnersView:
        obj = await self.catalog.get(ref)
        async with self.db.session() as session:
            repo = OwnershipRepository(session)
            rows = await repo.owners(obj.urn)
            placed = await repo.domain_of(obj.urn)
            domain = await repo.domain(str(placed["domain_id"])) if placed else None
        return ObjectOwnersView(obj, rows, domain["name"] if domain else "")

    async def owned_by(
        self, user: str, role: str, limit: int, cursor: str
    ) -> tuple[list[Row], str]:
        if not user.strip():
            raise InvalidArgument("a user is required")
        role = dom.check_role(role) if role.strip() else ""
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            rows = await OwnershipRepository(session).owned_by(
                _identities(user.strip()), role, offset, limit
            )
        return rows[:limit], next_cursor(offset, limit, len(rows[:limit]), len(rows) > limit)

    async def rights(self, username: str, ref: str) -> Rights:
        if not username.strip():
            raise InvalidArgument("a username is required")
        obj = await self.catalog.get(ref)
        async with self.db.session() as session:
            roles = await OwnershipRepository(session).roles_of(
                obj.urn, _identities(username.strip())
            )
        return Rights(owner="owner" in roles, steward="steward" in roles)

    # ------------------------------------------------------------ domains
    async def list_domains(self) -> list[DomainView]:
        async with self.db.session() as session:
            rows = await OwnershipRepository(session).domains()
        by_id = {r["id"]: r for r in rows}
        parents = {r["id"]: r["parent_id"] for r in rows}
        kids: dict[int, list[str]] = {}
        for r in rows:
            if r["parent_id"] is not None:
                kids.setdefault(r["parent_id"], []).append(r["name"])
        return [
            DomainView(
                by_id[i],
                by_id[parents[i]]["name"] if parents[i] is not None else "",
                kids.get(i, []),
                by_id[i]["object_count"],
                depth,
            )
            for i, depth in dom.depth_first(parents, [r["id"] for r in rows])
        ]

    async def get_domain(self, key: str) -> DomainView:
        async with self.db.session() as session:
            repo = OwnershipRepository(session)
            return await self._view(repo, await _find(repo, key))

    async def _view(self, repo: OwnershipRepository, row: Row) -> DomainView:
        parent = await repo.domain(str(row["parent_id"])) if row["parent_id"] else None
        return DomainView(
            row,
            parent["name"] if parent else "",
            await repo.children(row["id"]),
            await repo.object_count(row["id"]),
        )

    async def create_domain(self, name: str, description: str, parent: str) -> DomainView:
        name = dom.check_domain_name(name)
        async with self.db.session() as session:
            repo = OwnershipRepository(session)
            parent_row = await _find(repo, parent, "parent domain") if parent.strip() else None
            row = await repo.insert_domain(
                {
                    "name": name,
                    "description": description.strip(),
                    "parent_id": parent_row["id"] if parent_row else None,
                    "created_by": context.current().actor,
                }
            )
            view = await self._view(repo, row)
            await self._audit_domain(session, "domain.create", view, {})
            return view

    async def update_domain(
        self, key: str, fields: Sequence[str], name: str, description: str, parent: str
    ) -> DomainView:
        unknown = sorted(set(fields) - set(dom.DOMAIN_FIELDS))
        if unknown or not fields:
            got = ", ".join(unknown) or "none"
            raise InvalidArgument(
                f"fields must be some of {', '.join(dom.DOMAIN_FIELDS)}; got {got}"
            )
        async with self.db.session() as session:
            repo = OwnershipRepository(session)
            await repo.lock_domains()
            current = await _find(repo, key)
            before = await self._view(repo, current)
            values: dict[str, Any] = {}
            if "name" in fields:
                values["name"] = dom.check_domain_name(name)
            if "description" in fields:
                values["description"] = description.strip()
            if "parent" in fields:
                new_parent = await _find(repo, parent, "parent domain") if parent.strip() else None
                values["parent_id"] = new_parent["id"] if new_parent else None
                await _refuse_cycle(repo, current["id"], values["parent_id"])
            row = await repo.update_domain(current["id"], values)
            view = await self._view(repo, row)
            await self._audit_domain(session, "domain.update", view, _domain_snapshot(
                before.row, before.parent
            ))  # fmt: skip
            return view

    async def delete_domain(self, key: str) -> None:
        async with self.db.session() as session:
            repo = OwnershipRepository(session)
            await repo.lock_domains()
            view = await self._view(repo, await _find(repo, key))
            name = view.row["name"]
            if view.children:
                raise FailedPrecondition(
                    f"domain {name!r} has child domains ({', '.join(view.children)}): "
                    "move or delete them first"
                )
            if view.object_count:
                raise FailedPrecondition(
                    f"domain {name!r} still has {view.object_count} object(s): "
                    "assign them elsewhere first"
                )
            await repo.delete_domain(view.row["id"])
            await self.outbox.audit(
                session,
                action="domain.delete",
                entity_type="domain",
                entity_id=view.row["id"],
                changes=diff(_domain_snapshot(view.row, view.parent), {}),
            )
            await self.outbox.publish(
                session, DOMAIN_CHANGED, str(view.row["id"]), self.events.domain(view)
            )

    async def _audit_domain(
        self, session: Any, action: str, view: DomainView, before: dict[str, Any]
    ) -> None:
        await self.outbox.audit(
            session,
            action=action,
            entity_type="domain",
            entity_id=view.row["id"],
            changes=diff(before, _domain_snapshot(view.row, view.parent)),
        )
        await self.outbox.publish(
            session, DOMAIN_CHANGED, str(view.row["id"]), self.events.domain(view)
        )

    async def assign_domain(self, ref: str, key: str) -> tuple[Row, str]:
        obj = await self.catalog.get(ref)
        async with self.db.session() as session:
            repo = OwnershipRepository(session)
            target = await _find(repo, key)
            before = await repo.domain_of(obj.urn)
            old = await repo.domain(str(before["domain_id"])) if before else None
            row = await repo.put_object(
                {
                    "object_urn": obj.urn,
                    "object_ref": obj.ref,
                    "source_name": obj.source_name,
                    "domain_id": target["id"],
                    "assigned_by": context.current().actor,
                }
            )
            await self.outbox.audit(
                session,
                action="domain.assign",
                entity_type="object",
                entity_id=obj.ref,
                entity_urn=obj.urn,
                changes=diff({"domain": old["name"]} if old else {}, {"domain": target["name"]}),
            )
            await self.outbox.publish(
                session, DOMAIN_CHANGED, obj.urn, self.events.domain_object(row, target["name"])
            )
            return row, target["name"]

    async def domain_objects(self, key: str, limit: int, cursor: str) -> tuple[str, list[Row], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            repo = OwnershipRepository(session)
            domain = await _find(repo, key)
            rows = await repo.objects_in(domain["id"], offset, limit)
        more = len(rows) > limit
        return domain["name"], rows[:limit], next_cursor(offset, limit, len(rows[:limit]), more)


def dom_already(user: str, role: str, ref: str) -> Exception:
    return AlreadyExists(f"{user!r} is already {role} of {ref!r}")


async def _find(repo: OwnershipRepository, key: str, what: str = "domain") -> Row:
    key = " ".join(key.split())
    if not key:
        raise InvalidArgument(f"a {what} name or id is required")
    row = await repo.domain(key)
    if row is None:
        raise NotFound(f"{what} {key!r} not found")
    return row


async def _refuse_cycle(repo: OwnershipRepository, node: int, new_parent: int | None) -> None:
    rows = await repo.domains()
    parents = {r["id"]: r["parent_id"] for r in rows}
    loop = dom.cycle(parents, node, new_parent)
    if loop:
        names = {r["id"]: r["name"] for r in rows}
        raise InvalidArgument(
            "that parent would make a cycle: " + " → ".join(names[i] for i in loop)
        )
