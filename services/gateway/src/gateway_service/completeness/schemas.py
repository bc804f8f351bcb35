"""REST bodies of `/completeness`: a capsule's completeness score and its missing items."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from gateway_service.core.models import Page


class CompletenessItem(BaseModel):
    name: str = Field(
        description="description | column_definitions | business_terms | owner | "
        "classification | quality_rules | policies | contract"
    )
    weight: float = Field(description="its weight (setting `completeness_weights`)")
    achieved: float = Field(description="0..1; column definitions: the share of defined columns")
    available: bool = Field(description="false: not measured yet (contracts do not exist yet)")


class Completeness(BaseModel):
    object_urn: str
    object_ref: str
    score: float = Field(description="0-100")
    missing: list[str] = Field(description="the weighed items not (fully) there")
    items: list[CompletenessItem]
    source_name: str
    layer: str | None
    domain: str | None
    owners: list[str] = Field(description="`<role>:<user>`")
    columns: int
    columns_defined: int
    updated_at: datetime | None


class CompletenessPage(Page[Completeness]):
    pass
