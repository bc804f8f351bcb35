"""Request and response bodies of the classification endpoints (`/api/v1/classification/...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gateway_service.core.models import Int32, Page, Request

Level = Literal["public", "internal", "confidential", "restricted", "secret"]
Compliance = Literal["gdpr", "hipaa", "pci_dss", "sox", "ccpa"]
ClassificationSource = Literal["manual", "rule", "inherited"]
PATTERN_DOC = "RE2 syntax (no backreferences or lookaround), searched anywhere in the name"


class Classification(BaseModel):
    object_ref: str
    object_urn: str
    column: str | None = Field(description="null when this classifies the object itself")
    level: Level
    compliance: list[Compliance]
    source: ClassificationSource
    rule_name: str | None
    classified_by: str | None
    classified_at: datetime | None
    source_name: str


class ClassificationPage(Page[Classification]):
    pass


class ObjectClassification(BaseModel):
    object_ref: str
    object_urn: str
    effective: Classification | None = Field(
        description="its own classification, else the highest of its columns' (inherited)"
    )
    own: Classification | None
    columns: list[Classification]


class ClassificationSet(Request):
    level: Level
    compliance: list[Compliance] = []


class ClassificationRule(BaseModel):
    id: int
    name: str
    priority: int
    enabled: bool
    column_name_pattern: str | None
    schema_pattern: str | None
    object_name_pattern: str | None
    tags: list[str]
    level: Level
    compliance: list[Compliance]
    created_by: str
    created_at: datetime | None
    updated_at: datetime | None


class ClassificationRuleList(BaseModel):
    items: list[ClassificationRule]


class ClassificationRuleCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    priority: Int32 = Field(0, description="higher wins when several rules match one target")
    enabled: bool = True
    column_name_pattern: str = Field("", description=f"{PATTERN_DOC}; classifies columns")
    schema_pattern: str = Field("", description=PATTERN_DOC)
    object_name_pattern: str = Field("", description=PATTERN_DOC)
    tags: list[str] = Field([], description="the object carries at least one of these tags")
    level: Level
    compliance: list[Compliance] = []


class ClassificationRuleUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=200)
    priority: Int32 | None = None
    enabled: bool | None = None
    column_name_pattern: str | None = None
    schema_pattern: str | None = None
    object_name_pattern: str | None = None
    tags: list[str] | None = None
    level: Level | None = None
    compliance: list[Compliance] | None = None


class ApplyRequest(Request):
    source: str = Field("", description="only this source's objects; empty = every source")


class ApplyResult(BaseModel):
    objects: int = Field(description="objects examined")
    classified: int = Field(description="targets newly classified or changed by a rule")
    unchanged: int = Field(description="targets a rule had already classified the same way")
    skipped: int = Field(description="targets left alone because they are classified manually")
    errors: int = Field(description="objects that could not be read from the catalog")
    error_messages: list[str]
