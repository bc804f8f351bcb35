"""REST bodies of lineage: edges reachable from an object, declared edges."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gateway_service.core.models import Request

EdgeType = Literal["flows_to", "derived_from", "references"]
Direction = Literal["upstream", "downstream"]


class LineageEdge(BaseModel):
    id: int
    upstream_urn: str
    upstream_ref: str
    downstream_urn: str
    downstream_ref: str
    edge_type: EdgeType
    upstream_column: str | None = Field(None, description="null for a table-level edge")
    downstream_column: str | None = None
    origin: Literal["view", "foreign_key", "declared"]
    confidence: float
    depth: int = Field(description="hops from the requested object")
    created_by: str


class ViewParse(BaseModel):
    confidence: float = Field(description="1 fully traced, 0.5 partly, 0 parse failed")
    error: str | None
    unresolved: list[str]
    parsed_at: datetime | None


class Lineage(BaseModel):
    urn: str
    edges: list[LineageEdge]
    view_parse: ViewParse | None
    next_cursor: str | None = None


class LineageEdgeCreate(Request):
    upstream: str = Field(description="ref or URN")
    downstream: str = Field(description="ref or URN")
    edge_type: EdgeType = "flows_to"
    upstream_column: str | None = None
    downstream_column: str | None = None
    confidence: float = Field(1.0, gt=0, le=1)
