"""The capsule summary: one section per dimension, each with counts, details and links."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

DIMENSIONS = (
    "payload",
    "structure",
    "semantics",
    "quality",
    "policy",
    "lineage",
    "contract",
)


class Section(BaseModel):
    available: bool = Field(
        description="false when the service holding this dimension did not answer in time "
        "(then `error` says why and the other fields are empty)"
    )
    error: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    links: dict[str, str] = Field(
        default_factory=dict, description="REST paths (under /api/v1) of the detailed endpoints"
    )


class Capsule(BaseModel):
    urn: str
    ref: str
    name: str
    description: str
    layer: str | None = None
    payload: Section = Field(description="1. the data itself: where it lives, size, storage")
    structure: Section = Field(description="2. columns, constraints, indexes, versions")
    semantics: Section = Field(description="3. business terms, column meaning")
    quality: Section = Field(description="4. quality rules, score, latest profile")
    policy: Section = Field(description="5. classification, owners, domain, policies, masking")
    lineage: Section = Field(description="6. provenance: direct upstream and downstream")
    contract: Section = Field(description="7. operational contract (not yet available)")
    completeness: Section = Field(
        description="metadata completeness across the dimensions: score, missing items"
    )
