"""Tables of the semantic dimension (migration 0006): the business glossary, term links, value
domains and column meaning. Links and meaning name columns by name, not by column row: scans
replace column rows, and what people wrote stays."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR

from catalog_service.db.tables import metadata

# Name, abbreviation, display name (A), synonyms (B), definition (C); see migration 0006.
TERM_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, name || ' ' || coalesce(abbreviation, '') || "
    "' ' || coalesce(display_name, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, synonyms::text), 'B') || "
    "setweight(to_tsvector('english'::regconfig, definition), 'C')"
)


def _at(name: str) -> Column[Any]:
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


business_terms = Table(
    "business_terms",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", Text, nullable=False),  # unique in lower case
    Column("display_name", Text),
    Column("definition", Text, nullable=False),
    Column("abbreviation", Text),
    Column("synonyms", JSONB, nullable=False, server_default="[]"),
    Column("examples", JSONB, nullable=False, server_default="[]"),
    Column("category", Text),
    Column("domain", Text),
    Column("owner", Text),
    Column("steward", Text),
    Column("status", String(16), nullable=False, server_default="draft"),
    Column("created_by", String(200), nullable=False, server_default="system"),
    _at("created_at"),
    Column("updated_by", String(200), nullable=False, server_default="system"),
    _at("updated_at"),
    Column("search_vector", TSVECTOR, Computed(TERM_VECTOR, persisted=True)),
)

business_term_relations = Table(
    "business_term_relations",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "term_id", BigInteger, ForeignKey("business_terms.id", ondelete="CASCADE"), nullable=False
    ),
    Column("relation", String(16), nullable=False),  # is_a | has_a | related | replaces
    Column(
        "related_id",
        BigInteger,
        ForeignKey("business_terms.id", ondelete="CASCADE"),
        nullable=False,
    ),
    UniqueConstraint("term_id", "relation", "related_id", name="uq_business_term_relations"),
)

business_term_history = Table(
    "business_term_history",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "term_id", BigInteger, ForeignKey("business_terms.id", ondelete="CASCADE"), nullable=False
    ),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    _at("changed_at"),
)

term_links = Table(
    "term_links",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("term_id", BigInteger, ForeignKey("business_terms.id"), nullable=False),
    Column("object_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), nullable=False),
    Column("column_name", Text, nullable=False, server_default=""),  # "" = the capsule
    Column("link_type", String(16), nullable=False),
    Column("created_by", String(200), nullable=False, server_default="system"),
    _at("created_at"),
    UniqueConstraint("object_id", "column_name", "term_id", name="uq_term_links"),
)

value_domains = Table(
    "value_domains",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", Text, nullable=False),  # unique in lower case
    Column("domain_type", String(16), nullable=False),  # enum | range | pattern | reference
    Column("description", Text, nullable=False, server_default=""),
    Column("allowed_values", JSONB, nullable=False, server_default="[]"),  # [{code, label, ...}]
    Column("min_value", Float),
    Column("max_value", Float),
    Column("pattern", Text),
    Column("pattern_description", Text),
    Column("reference_object_urn", Text),
    Column("reference_column", Text),
    Column("extensible", Boolean, nullable=False, server_default="false"),
    Column("owner", Text),
    Column("created_by", String(200), nullable=False, server_default="system"),
    _at("created_at"),
    _at("updated_at"),
)

column_semantics = Table(
    "column_semantics",
    metadata,
    Column("object_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), primary_key=True),
    Column("column_name", Text, primary_key=True),
    Column("business_definition", Text),
    Column("semantic_type", String(64)),
    Column("unit_of_measure", String(64)),
    Column("value_domain_id", BigInteger, ForeignKey("value_domains.id")),
    Column("min_value", Float),
    Column("max_value", Float),
    Column("allowed_values", JSONB),  # NULL = no claim
    Column("format_pattern", Text),
    Column("examples", JSONB, nullable=False, server_default="[]"),
    Column("updated_by", String(200), nullable=False, server_default="system"),
    _at("updated_at"),
)
