"""REST bodies of `/business-terms` and `/capsules/{urn}/business-terms`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gateway_service.core.models import Page, Request

TermStatus = Literal["draft", "under_review", "approved", "deprecated"]
TermRelation = Literal["is_a", "has_a", "related", "replaces"]
LinkType = Literal["defines", "uses", "derived_from", "related"]
GlossaryFormat = Literal["yaml", "csv"]


class RelatedTerm(BaseModel):
    relation: TermRelation
    term: str = Field(description="the other term's name")
    term_id: int | None = Field(None, description="set in answers")


class RelatedTermIn(Request):
    relation: TermRelation
    term: str = Field(min_length=1, description="the other term's name")


class TermStatusChange(BaseModel):
    from_status: TermStatus | None = Field(description="null for the creation")
    to_status: TermStatus
    actor: str
    comment: str
    changed_at: datetime | None


class BusinessTerm(BaseModel):
    id: int
    name: str
    display_name: str
    definition: str
    abbreviation: str
    synonyms: list[str]
    examples: list[str]
    category: str
    domain: str
    owner: str
    steward: str
    status: TermStatus
    related: list[RelatedTerm]
    history: list[TermStatusChange] = Field(
        description="every workflow step, oldest first (`GET /business-terms/{term}` only)"
    )
    link_count: int = Field(description="capsules and columns linking the term")
    created_by: str
    created_at: datetime | None
    updated_by: str
    updated_at: datetime | None


class BusinessTermCreate(Request):
    name: str = Field(min_length=1, max_length=200, description="unique, case-insensitive")
    definition: str = Field(min_length=1)
    display_name: str = ""
    abbreviation: str = ""
    synonyms: list[str] = []
    examples: list[str] = []
    category: str = ""
    domain: str = ""
    owner: str = ""
    steward: str = ""
    related: list[RelatedTermIn] = []
    comment: str = Field("", description="recorded with the creation in the history")


class BusinessTermUpdate(Request):
    """The fields to change (null clears a text field; `related` replaces every relation)."""

    name: str | None = None
    definition: str | None = None
    display_name: str | None = None
    abbreviation: str | None = None
    synonyms: list[str] | None = None
    examples: list[str] | None = None
    category: str | None = None
    domain: str | None = None
    owner: str | None = None
    steward: str | None = None
    related: list[RelatedTermIn] | None = None


class WorkflowStep(Request):
    comment: str = Field("", max_length=2000, description="recorded in the term's history")


class BusinessTermPage(Page[BusinessTerm]):
    pass


class TermDeleted(BaseModel):
    links_deleted: int


class GlossaryImport(Request):
    format: GlossaryFormat
    content: str = Field(min_length=1, description="the whole file")
    dry_run: bool = Field(False, description="validate and report, write nothing")


class GlossaryImported(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    dry_run: bool


class GlossaryExport(BaseModel):
    format: GlossaryFormat
    content: str
    term_count: int


class TermLink(BaseModel):
    id: int
    term_id: int
    term_name: str
    term_status: TermStatus
    object_urn: str
    object_ref: str
    column: str | None = Field(description="null: the capsule itself")
    column_urn: str | None
    link_type: LinkType
    created_by: str
    created_at: datetime | None


class TermLinkCreate(Request):
    link_type: LinkType = "related"
    column: str | None = Field(None, description="link this column instead of the capsule")


class TermLinkPage(Page[TermLink]):
    pass
