"""Request and response bodies of the masking rule endpoints (`/api/v1/columns/{urn}/masking-
rules`, `/api/v1/masking-rules/...`, `/api/v1/capsules/{urn}/masking-sql`). Values are checked
by the governance service, which names the bad field in a 400."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway_service.core.models import Request

METHODS = (
    "redaction | partial_redaction | substitution | hashing | tokenization | pseudonymization"
    " | generalization | noise_addition | format_preserving_encryption"
)
ROLES = "viewer | editor | steward | admin"
CONFIG = "the method's settings (docs/governance.md); missing keys take their defaults"
Dialect = Literal["postgres", "databricks"]


class MaskingRule(BaseModel):
    id: int
    object_ref: str
    object_urn: str
    column: str
    column_urn: str
    name: str
    method: str = Field(description=METHODS)
    config: dict[str, Any] = Field(description="with every default filled in")
    exempt_roles: list[str] = Field(description=f"roles that see clear values: {ROLES}")
    preserve_null: bool
    enabled: bool
    description: str | None
    created_by: str
    created_at: datetime | None
    updated_by: str
    updated_at: datetime | None


class MaskingRuleList(BaseModel):
    items: list[MaskingRule]


class MaskingRuleCreate(Request):
    method: str = Field(description=METHODS)
    config: dict[str, Any] = Field({}, description=CONFIG)
    name: str | None = Field(None, description="null = derived from the column and method")
    exempt_roles: list[str] = Field([], description=f"roles that see clear values: {ROLES}")
    preserve_null: bool = Field(True, description="NULL stays NULL (false: masked like a value)")
    enabled: bool = Field(True, description="a column has at most one enabled rule")
    description: str | None = None


class MaskingRuleUpdate(Request):
    """Only the fields sent change; null clears name (derived again), config (the method's
    defaults) and description. A new method without a config starts from its defaults."""

    method: str | None = None
    config: dict[str, Any] | None = None
    name: str | None = None
    exempt_roles: list[str] | None = None
    preserve_null: bool | None = None
    enabled: bool | None = None
    description: str | None = None


# PATCH fields a null may clear.
CLEARABLE = frozenset({"name", "config", "description"})


class MaskingSqlPreview(BaseModel):
    object_ref: str
    dialect: str
    sql: str = Field(description="SQL the source runs to mask the object itself (not executed)")
    notes: list[str] = Field(description="columns the SQL cannot mask as their rule says")
