"""Request and response bodies of the data policy endpoints (`/api/v1/capsules/{urn}/policies`,
`/api/v1/policies/...`). Values are checked by the governance service, which names every bad
field in one 400."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from gateway_service.core.models import Int32, Page, Request

LEVELS = "public | internal | confidential | restricted | secret"
ROLES = "viewer | editor | steward | admin"


class PolicyFields(BaseModel):
    sensitivity: str = Field(description=LEVELS)
    retention_days: Int32 = Field(0, description="0 = no retention period")
    retention_start: str | None = Field(None, description="created | last_modified | event_date")
    deletion_action: str | None = Field(None, description="delete | archive | anonymize")
    legal_hold: bool = False
    allowed_regions: list[str] = []
    restricted_regions: list[str] = Field([], description="may not overlap allowed_regions")
    residency: str | None = Field(None, description="the region the data must stay in")
    min_role: str | None = Field(None, description=ROLES)
    allowed_roles: list[str] = Field([], description=ROLES)
    denied_roles: list[str] = Field([], description=f"{ROLES}; may not overlap allowed_roles")
    purposes: list[str] = []
    masking_required: bool = False
    encryption_required: bool = False
    compliance: list[str] = Field([], description="gdpr | hipaa | pci_dss | sox | ccpa")
    review_cycle_days: Int32 = Field(0, description="0 = no review cycle")
    last_reviewed_on: date | None = Field(None, description="null = never (counts from creation)")


class Policy(PolicyFields):
    id: int
    object_ref: str
    object_urn: str
    column: str | None = Field(description="null for an object-level policy")
    source_name: str
    next_review_date: date | None
    overdue: bool = Field(description="the next review date has passed")
    created_by: str
    created_at: datetime | None
    updated_by: str
    updated_at: datetime | None


class PolicyPage(Page[Policy]):
    pass


class PolicyCreate(PolicyFields, Request):
    column: str | None = Field(None, description="a column of the object; null = the object")


class PolicyUpdate(Request):
    """Only the fields sent change; null clears the optional text and date fields."""

    sensitivity: str | None = None
    retention_days: Int32 | None = None
    retention_start: str | None = None
    deletion_action: str | None = None
    legal_hold: bool | None = None
    allowed_regions: list[str] | None = None
    restricted_regions: list[str] | None = None
    residency: str | None = None
    min_role: str | None = None
    allowed_roles: list[str] | None = None
    denied_roles: list[str] | None = None
    purposes: list[str] | None = None
    masking_required: bool | None = None
    encryption_required: bool | None = None
    compliance: list[str] | None = None
    review_cycle_days: Int32 | None = None
    last_reviewed_on: date | None = None


# PATCH fields a null may clear.
CLEARABLE = frozenset(
    {"retention_start", "deletion_action", "residency", "min_role", "last_reviewed_on"}
)
