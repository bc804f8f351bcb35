"""Use cases for object ownership (owner, steward, delegate) and business domains. Every change
is audited and published (datacompass.governance.ownership.changed / domain.changed) in its own
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from dckit import context, event_catalogue
from dckit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from dckit.paging import paginate
from dckit.uow import Entity, Event
from governance_service.application.ports import (
    Catalog,
    CatalogObject,
    EventPayloads,
    OwnershipStore,
    Transactions,
    Unit,
)
from governance_service.domain import ownership as dom
from governance_service.domain.ownership import Domain, DomainObject, Ownership


@dataclass
class ObjectOwnersView:
    obj: CatalogObject
    owners: list[Ownership]
    domain: str


@dataclass
class Rights:
    owner: bool
    steward: bool


def _identities(username: str) -> list[str]:
    """The identifiers an assignment may name the user by (emails are stored lower-case)."""
    return sorted({username, username.lower()})


class OwnershipUseCases:
    def __init__(self, tx: Transactions, catalog: Catalog, events: EventPayloads) -> None:
        self.tx, self.catalog, self.events = tx, catalog, events

    # ------------------------------------------------------------ owners
    async def assign(self, *, ref: str, user: str, role: str) -> Ownership:
        user, role = dom.check_user(user), dom.check_role(role, default="owner")
        obj = await self.catalog.get(ref)
        async with self.tx() as uow:
            assigned = await uow.ownership.insert_owner(
                Ownership(
                    **obj.names(),
                    user=user,
                    role=role,
                    assigned_by=context.current().actor,
                )
            )
            if assigned is None:
                raise AlreadyExists(f"{user!r} is already {role} of {obj.ref!r}")
            await self._record_owner(uow, "ownership.assign", obj, None, assigned)
            return assigned

    async def remove(self, *, ref: str, user: str, role: str) -> int:
        user = dom.check_user(user)
        role = dom.check_role(role) if role.strip() else ""
        obj = await self.catalog.get(ref)
        async with self.tx() as uow:
            removed = await uow.ownership.delete_owners(obj.urn, user=user, role=role)
            if not removed:
                what = f"role {role!r}" if role else "any role"
                raise NotFound(f"{user!r} has {what} on {obj.ref!r}")
            for gone in removed:
                await self._record_owner(uow, "ownership.remove", obj, gone, None)
            return len(removed)

    async def _record_owner(
        self,
        uow: Unit,
        action: str,
        obj: CatalogObject,
        before: Ownership | None,
        after: Ownership | None,
    ) -> None:
        subject = after or before
        assert subject is not None
        event = Event(event_catalogue.OWNERSHIP_CHANGED, obj.urn, self.events.ownership(subject))
        await uow.record_change(
            action,
            Entity("object", obj.ref, obj.urn),
            before.snapshot() if before else None,
            after.snapshot() if after else None,
            event=event,
        )

    async def owners(self, ref: str) -> ObjectOwnersView:
        obj = await self.catalog.get(ref, cached=True)
        async with self.tx() as uow:
            owners = await uow.ownership.owners(obj.urn)
            placed = await uow.ownership.placement(obj.urn)
            domain = await uow.ownership.domain(str(placed.domain_id)) if placed else None
        return ObjectOwnersView(obj, owners, domain.name if domain else "")

    async def owned_by(
        self, *, user: str, role: str, limit: int, cursor: str
    ) -> tuple[list[Ownership], str]:
        if not user.strip():
            raise InvalidArgument("a user is required")
        role = dom.check_role(role) if role.strip() else ""
        users = _identities(user.strip())
        async with self.tx() as uow:
            return await paginate(
                limit,
                cursor,
                lambda offset, count: uow.ownership.owned_by(users, role, offset, count),
            )

    async def rights(self, *, username: str, ref: str) -> Rights:
        if not username.strip():
            raise InvalidArgument("a username is required")
        obj = await self.catalog.get(ref, cached=True)
        async with self.tx() as uow:
            roles = await uow.ownership.roles_of(obj.urn, _identities(username.strip()))
        return Rights(owner="owner" in roles, steward="steward" in roles)

    # ------------------------------------------------------------ domains
    async def list_domains(self) -> list[Domain]:
        """Depth-first: every parent before its children."""
        async with self.tx() as uow:
            domains = await uow.ownership.domains()
        by_id = {d.id: d for d in domains}
        kids: dict[int, list[str]] = {}
        for d in domains:
            if d.parent_id is not None:
                kids.setdefault(d.parent_id, []).append(d.name)
        parents = {d.id: d.parent_id for d in domains}
        return [
            replace(
                by_id[i],
                parent=by_id[parent].name if (parent := parents[i]) is not None else "",
                children=tuple(kids.get(i, [])),
                depth=depth,
            )
            for i, depth in dom.depth_first(parents, [d.id for d in domains])
        ]

    async def get_domain(self, key: str) -> Domain:
        async with self.tx() as uow:
            return await _view(uow.ownership, await _find(uow.ownership, key))

    async def create_domain(self, *, name: str, description: str, parent: str) -> Domain:
        name = dom.check_domain_name(name)
        async with self.tx() as uow:
            parent_row = (
                await _find(uow.ownership, parent, "parent domain") if parent.strip() else None
            )
            created = await uow.ownership.insert_domain(
                Domain(
                    id=0,
                    name=name,
                    description=description.strip(),
                    parent_id=parent_row.id if parent_row else None,
                    created_by=context.current().actor,
                )
            )
            view = await _view(uow.ownership, created)
            await self._record_domain(uow, "domain.create", None, view)
            return view

    async def update_domain(
        self, *, key: str, fields: Sequence[str], name: str, description: str, parent: str
    ) -> Domain:
        """Changes the named `fields` (some of dom.DOMAIN_FIELDS)."""
        async with self.tx() as uow:
            repo = uow.ownership
            await repo.lock_domains()
            before = await _view(repo, await _find(repo, key))
            values: dict[str, object] = {}
            if "name" in fields:
                values["name"] = dom.check_domain_name(name)
            if "description" in fields:
                values["description"] = description.strip()
            if "parent" in fields:
                new_parent = await _find(repo, parent, "parent domain") if parent.strip() else None
                values["parent_id"] = new_parent.id if new_parent else None
                await _refuse_cycle(repo, before.id, new_parent.id if new_parent else None)
            view = await _view(repo, await repo.update_domain(before.id, values))
            await self._record_domain(uow, "domain.update", before, view)
            return view

    async def delete_domain(self, key: str) -> None:
        async with self.tx() as uow:
            await uow.ownership.lock_domains()
            view = await _view(uow.ownership, await _find(uow.ownership, key))
            if view.children:
                raise FailedPrecondition(
                    f"domain {view.name!r} has child domains ({', '.join(view.children)}): "
                    "move or delete them first"
                )
            if view.object_count:
                raise FailedPrecondition(
                    f"domain {view.name!r} still has {view.object_count} object(s): "
                    "assign them elsewhere first"
                )
            await uow.ownership.delete_domain(view.id)
            await self._record_domain(uow, "domain.delete", view, None)

    async def _record_domain(
        self, uow: Unit, action: str, before: Domain | None, after: Domain | None
    ) -> None:
        subject = after or before
        assert subject is not None
        payload = self.events.domain(subject)
        await uow.record_change(
            action,
            Entity("domain", subject.id),
            before.snapshot() if before else None,
            after.snapshot() if after else None,
            event=Event(event_catalogue.DOMAIN_CHANGED, str(subject.id), payload),
        )

    async def assign_domain(self, *, ref: str, key: str) -> DomainObject:
        obj = await self.catalog.get(ref)
        async with self.tx() as uow:
            target = await _find(uow.ownership, key)
            before = await uow.ownership.placement(obj.urn)
            old = await uow.ownership.domain(str(before.domain_id)) if before else None
            placed = await uow.ownership.place(
                DomainObject(
                    **obj.names(),
                    domain_id=target.id,
                    assigned_by=context.current().actor,
                    domain=target.name,
                )
            )
            await uow.record_change(
                "domain.assign",
                Entity("object", obj.ref, obj.urn),
                {"domain": old.name} if old else None,
                {"domain": target.name},
                event=Event(
                    event_catalogue.DOMAIN_CHANGED, obj.urn, self.events.domain_object(placed)
                ),
            )
            return placed

    async def domain_objects(
        self, *, key: str, limit: int, cursor: str
    ) -> tuple[list[DomainObject], str]:
        async with self.tx() as uow:
            domain = await _find(uow.ownership, key)
            page, next_cursor = await paginate(
                limit,
                cursor,
                lambda offset, count: uow.ownership.objects_in(domain.id, offset, count),
            )
        return [replace(p, domain=domain.name) for p in page], next_cursor


async def _find(repo: OwnershipStore, key: str, what: str = "domain") -> Domain:
    key = " ".join(key.split())
    if not key:
        raise InvalidArgument(f"a {what} name or id is required")
    found = await repo.domain(key)
    if found is None:
        raise NotFound(f"{what} {key!r} not found")
    return found


async def _view(repo: OwnershipStore, domain: Domain) -> Domain:
    """The domain with its parent's name, its children's and its object count."""
    parent = await repo.domain(str(domain.parent_id)) if domain.parent_id else None
    return replace(
        domain,
        parent=parent.name if parent else "",
        children=tuple(await repo.children(domain.id)),
        object_count=await repo.object_count(domain.id),
    )


async def _refuse_cycle(repo: OwnershipStore, node: int, new_parent: int | None) -> None:
    domains = await repo.domains()
    parents = {d.id: d.parent_id for d in domains}
    loop = dom.cycle(parents, node, new_parent)
    if loop:
        names = {d.id: d.name for d in domains}
        raise InvalidArgument(
            "that parent would make a cycle: " + " → ".join(names[i] for i in loop)
        )
