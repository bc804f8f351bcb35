"""What the governance use cases need from outside, as protocols: the unit of work (its
repositories and `record_change`), the catalog, and the builders of event payloads. `app.py`
wires the implementations (db, adapters, api); nothing here knows SQL, gRPC or the generated
messages (payloads are only `Message`s)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypedDict

from google.protobuf.message import Message

from dckit.uow import RecordsChanges
from governance_service.domain.audit import AuditEntry, AuditFilter
from governance_service.domain.classification import Classification
from governance_service.domain.classification_rules import ClassificationRule, RuleSpec
from governance_service.domain.identity import ApiKey, KeyHolder, NewApiKey, User
from governance_service.domain.masking_rules import MaskingRule, MaskingRuleSpec
from governance_service.domain.ownership import Domain, DomainObject, Ownership
from governance_service.domain.policies import Policy

FieldChanges = dict[str, tuple[Any, Any]]


# ---------------------------------------------------------------- the catalog


@dataclass(frozen=True)
class CatalogColumn:
    name: str
    urn: str
    data_type: str = ""


class ObjectNames(TypedDict):
    object_urn: str
    object_ref: str
    source_name: str


@dataclass(frozen=True)
class CatalogObject:
    """A cataloged object as governance sees it (never the catalog's tables)."""

    ref: str
    urn: str
    source_name: str
    schema: str
    name: str
    tags: frozenset[str]
    columns: tuple[CatalogColumn, ...]
    source_type: str = ""  # a connector's name: postgres | databricks | dbt

    def names(self) -> ObjectNames:
        """How a record about this object names it: the URN (the key), the ref (for display)
        and its source."""
        return ObjectNames(object_urn=self.urn, object_ref=self.ref, source_name=self.source_name)

    def column(self, name: str) -> CatalogColumn | None:
        """The column called `name`, compared case-insensitively."""
        wanted = name.strip().lower()
        return next((c for c in self.columns if c.name.lower() == wanted), None)


class Catalog(Protocol):
    async def get(self, ref: str, *, cached: bool = False) -> CatalogObject:
        """The object named by ref, URN or id; NotFound, InvalidArgument or Unavailable.
        `cached`: a lookup of the last few seconds will do (reads); writes leave it False."""
        ...

    def refs(self, source_name: str = "") -> AsyncIterator[str]:
        """Every live object's ref (of one source, or of all)."""
        ...


# ---------------------------------------------------------------- repositories


class IdentityStore(Protocol):
    async def user(self, username: str, *, for_update: bool = False) -> User | None: ...
    async def insert_user(self, values: dict[str, Any]) -> User: ...
    async def update_user(self, user_id: int, values: dict[str, Any]) -> User: ...
    async def touch_login(self, user_id: int) -> User: ...
    async def users(self, offset: int, count: int) -> list[User]: ...
    async def insert_api_key(
        self, owner: User, name: str, key: NewApiKey, expires_at: datetime | None
    ) -> ApiKey:
        """PrefixTaken when another key has its lookup prefix."""
        ...

    async def api_key(self, key_id: int) -> ApiKey | None: ...
    async def key_holder(self, prefix: str) -> KeyHolder | None: ...
    async def api_keys(self, username: str, offset: int, count: int) -> list[ApiKey]: ...
    async def revoke_api_key(self, key_id: int) -> ApiKey: ...
    async def touch_api_key(self, key_id: int) -> None: ...


class AuditStore(Protocol):
    async def insert(self, entry: AuditEntry) -> bool: ...
    async def page(self, where: AuditFilter, offset: int, count: int) -> list[AuditEntry]: ...


class ClassificationStore(Protocol):
    async def of_object(self, urn: str, *, for_update: bool = False) -> list[Classification]: ...
    async def upsert(self, target: Classification) -> Classification: ...
    async def remove(self, classification_id: int) -> None: ...
    async def page(
        self, *, level: str, source_name: str, offset: int, count: int
    ) -> list[Classification]: ...
    async def rules(self, *, enabled_only: bool = False) -> list[ClassificationRule]: ...
    async def rule(
        self, rule_id: int, *, for_update: bool = False
    ) -> ClassificationRule | None: ...
    async def rule_by_name(self, name: str) -> ClassificationRule | None: ...
    async def insert_rule(self, spec: RuleSpec, created_by: str) -> ClassificationRule: ...
    async def update_rule(self, rule_id: int, spec: RuleSpec) -> ClassificationRule: ...
    async def delete_rule(self, rule_id: int) -> None: ...


class OwnershipStore(Protocol):
    async def owners(self, urn: str) -> list[Ownership]: ...
    async def insert_owner(self, assignment: Ownership) -> Ownership | None: ...
    async def delete_owners(self, urn: str, *, user: str, role: str) -> list[Ownership]: ...
    async def owned_by(
        self, users: list[str], role: str, offset: int, count: int
    ) -> list[Ownership]: ...
    async def roles_of(self, urn: str, users: list[str]) -> set[str]: ...
    async def domains(self) -> list[Domain]: ...
    async def domain(self, key: str) -> Domain | None: ...
    async def insert_domain(self, domain: Domain) -> Domain: ...
    async def update_domain(self, domain_id: int, values: dict[str, Any]) -> Domain: ...
    async def delete_domain(self, domain_id: int) -> None: ...
    async def lock_domains(self) -> None: ...
    async def children(self, domain_id: int) -> list[str]: ...
    async def object_count(self, domain_id: int) -> int: ...
    async def placement(self, urn: str) -> DomainObject | None: ...
    async def place(self, placed: DomainObject) -> DomainObject: ...
    async def objects_in(self, domain_id: int, offset: int, count: int) -> list[DomainObject]: ...


class PolicyStore(Protocol):
    async def insert(self, policy: Policy) -> Policy: ...
    async def get(self, policy_id: int, *, for_update: bool = False) -> Policy | None: ...
    async def update(self, policy: Policy) -> Policy: ...
    async def delete(self, policy_id: int) -> None: ...
    async def page(
        self, urn: str, overdue_before: date | None, offset: int, count: int
    ) -> list[Policy]: ...


class MaskingRuleStore(Protocol):
    async def insert(self, rule: MaskingRule) -> MaskingRule: ...
    async def get(self, rule_id: int, *, for_update: bool = False) -> MaskingRule | None: ...
    async def update(
        self, rule: MaskingRule, spec: MaskingRuleSpec, updated_by: str
    ) -> MaskingRule: ...
    async def delete(self, rule_id: int) -> None: ...
    async def enabled_on(self, object_ref: str, *, column: str) -> MaskingRule | None: ...
    async def of_object(
        self, object_: str, *, column: str = "", enabled_only: bool = False
    ) -> list[MaskingRule]: ...


# ---------------------------------------------------------------- the unit of work


class Unit(RecordsChanges, Protocol):
    """One transaction: the repositories, and what it tells the world: `record_change` audits
    a change's field diff and publishes its event in the same transaction."""

    @property
    def identity(self) -> IdentityStore: ...
    @property
    def audit_trail(self) -> AuditStore: ...
    @property
    def classifications(self) -> ClassificationStore: ...
    @property
    def ownership(self) -> OwnershipStore: ...
    @property
    def policies(self) -> PolicyStore: ...
    @property
    def masking_rules(self) -> MaskingRuleStore: ...


# Opens a unit of work: `async with self.tx() as uow: ...` commits when the block succeeds.
Transactions = Callable[[], AbstractAsyncContextManager[Unit]]


# ---------------------------------------------------------------- event payloads


@dataclass(frozen=True)
class EventPayloads:
    """Builders of each event's payload message from domain records (the api layer's)."""

    classification: Callable[[Classification], Message]
    ownership: Callable[[Ownership], Message]
    domain: Callable[[Domain], Message]
    domain_object: Callable[[DomainObject], Message]
    policy_changed: Callable[[Policy, str], Message]  # (policy, created | updated | deleted)
    masking_rule_changed: Callable[[MaskingRule, str], Message]
