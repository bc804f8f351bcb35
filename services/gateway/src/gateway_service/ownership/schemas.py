"""Request and response bodies of the ownership and domain endpoints (`/api/v1/ownership/...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from gateway_service.core.models import Page, Request

Role = Literal["owner", "steward", "delegate"]
USER_DOC = "a governance username or an email address"


class Ownership(BaseModel):
    object_ref: str
    object_urn: str
    user: str = Field(description=USER_DOC)
    role: Role
    assigned_by: str
    assigned_at: datetime | None
    source_name: str


class OwnershipPage(Page[Ownership]):
    pass


class ObjectOwners(BaseModel):
    object_ref: str
    object_urn: str
    owners: list[Ownership]
    domain: str | None = Field(description="the object's domain; null when it has none")


class OwnerAssign(Request):
    user: str | None = Field(None, description=USER_DOC)
    email: str | None = Field(None, description="the same as `user`, as the roadmap's CLI names it")
    role: Role = "owner"

    @model_validator(mode="after")
    def one_user(self) -> OwnerAssign:
        if bool(self.user) == bool(self.email):
            raise ValueError("give exactly one of user or email")
        if self.email is not None and "@" not in self.email:
            raise ValueError(f"email {self.email!r} is not an email address")
        return self

    @property
    def identifier(self) -> str:
        return self.user or self.email or ""


class Domain(BaseModel):
    id: int
    name: str
    description: str | None
    parent: str | None
    parent_id: int | None
    children: list[str]
    object_count: int
    created_by: str
    created_at: datetime | None
    updated_at: datetime | None


class DomainNode(Domain):
    subdomains: list[DomainNode] = []


class DomainList(BaseModel):
    items: list[Domain]


class DomainTree(BaseModel):
    items: list[DomainNode] = Field(description="top-level domains, each with its subdomains")


class DomainCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    parent: str | None = Field(None, description="the parent domain's name or id")


class DomainUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    parent: str | None = Field(None, description="name or id; null makes it top-level")


class DomainObject(BaseModel):
    object_ref: str
    object_urn: str
    domain: str
    assigned_by: str
    assigned_at: datetime | None
    source_name: str


class DomainObjectPage(Page[DomainObject]):
    pass
