"""REST bodies of `/value-domains` and `/capsules/{urn}/columns`: value domains and what a
capsule's columns mean."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gateway_service.core.models import Page, Request

DomainType = Literal["enum", "range", "pattern", "reference"]


class ValueClaims(BaseModel):
    min_value: float | None
    max_value: float | None
    allowed_values: list[str]
    format_pattern: str | None = Field(description="RE2 syntax")


class EffectiveClaims(ValueClaims):
    inherited: list[str] = Field(description="the claims that come from the value domain")


class ClaimRule(BaseModel):
    id: int
    name: str
    rule_type: str = Field(description="value_in_set | range_check | pattern_match")
    enabled: bool
    severity: str
    expected: str = Field(description="what the rule expects, in words")


class ColumnSemantics(BaseModel):
    object_urn: str
    object_ref: str
    column: str
    column_urn: str
    data_type: str
    source_comment: str | None = Field(description="the source's comment, refreshed by scans")
    business_definition: str | None = Field(description="written by people; scans keep it")
    semantic_type: str | None
    unit_of_measure: str | None
    value_domain: str | None
    claims: ValueClaims = Field(description="what the column itself claims about its values")
    examples: list[str]
    effective: EffectiveClaims = Field(
        description="the value domain's claims, each overridden by the column's own"
    )
    updated_by: str | None
    updated_at: datetime | None
    enforced_by: dict[str, ClaimRule] | None = Field(
        None,
        description="claim (`allowed_values`, `range`, `format_pattern`) → the quality rule "
        "that enforces it, for the effective claims that have one; null when the quality "
        "service did not answer",
    )


class ClaimRuleOutcome(BaseModel):
    claim: Literal["allowed_values", "range", "format_pattern"]
    status: Literal["created", "existing"] = Field(
        description="`existing`: an equal rule was already there and is left as it is"
    )
    rule: ClaimRule


class ClaimRules(BaseModel):
    items: list[ClaimRuleOutcome]


class ClaimRulesCreate(Request):
    severity: Literal["info", "warning", "error", "critical"] = "warning"
    blocking: bool = False


class ColumnSemanticsList(BaseModel):
    items: list[ColumnSemantics]


class ColumnSemanticsUpdate(Request):
    """The fields to change; null (or an empty list) clears one."""

    business_definition: str | None = None
    semantic_type: str | None = Field(None, description="e.g. identifier, metric, pii")
    unit_of_measure: str | None = Field(None, description="e.g. USD, meters, seconds")
    value_domain: str | None = Field(None, description="a value domain's name")
    min_value: float | None = None
    max_value: float | None = None
    allowed_values: list[str] | None = None
    format_pattern: str | None = Field(None, description="RE2 syntax (no backreferences)")
    examples: list[str] | None = None


class DomainValue(BaseModel):
    code: str = Field(min_length=1)
    label: str = ""
    description: str = ""


class ValueDomain(BaseModel):
    id: int
    name: str
    domain_type: DomainType
    description: str
    values: list[DomainValue] = Field(description="enum domains")
    min_value: float | None = Field(description="range domains")
    max_value: float | None
    pattern: str | None = Field(description="pattern domains (RE2)")
    pattern_description: str | None
    reference_object_urn: str | None = Field(description="reference domains: the values' table")
    reference_column: str | None
    extensible: bool
    owner: str | None
    column_count: int = Field(description="columns using the domain")
    created_by: str
    created_at: datetime | None
    updated_at: datetime | None


class ValueDomainCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    domain_type: DomainType
    description: str = ""
    values: list[DomainValue] = []
    min_value: float | None = None
    max_value: float | None = None
    pattern: str | None = None
    pattern_description: str | None = None
    reference_object: str | None = Field(
        None, description="reference domains: the table's ref (`source.schema.name`) or URN"
    )
    reference_column: str | None = None
    extensible: bool = False
    owner: str | None = None


class ValueDomainUpdate(Request):
    """Only the fields sent change; null clears one. The domain is validated as a whole after
    the change: switching `domain_type` means clearing the old type's fields too."""

    name: str | None = Field(None, min_length=1, max_length=200)
    domain_type: DomainType | None = None
    description: str | None = None
    values: list[DomainValue] | None = None
    min_value: float | None = None
    max_value: float | None = None
    pattern: str | None = None
    pattern_description: str | None = None
    reference_object: str | None = Field(
        None, description="reference domains: the table's ref (`source.schema.name`) or URN"
    )
    reference_column: str | None = None
    extensible: bool | None = None
    owner: str | None = None


class ValueDomainPage(Page[ValueDomain]):
    pass
