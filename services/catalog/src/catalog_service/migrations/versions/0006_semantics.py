"""the semantic dimension: business glossary (terms, relations, workflow history), term links
from capsules and columns, column meaning, value domains, and a capsule's medallion layer

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 07:30:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

S = "catalog"

# Glossary search: name, abbreviation and synonyms weigh most (A), the definition less (C).
# 'english' is a built-in text search configuration (stemming, no extension needed).
TERM_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, name || ' ' || coalesce(abbreviation, '') || "
    "' ' || coalesce(display_name, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, synonyms::text), 'B') || "
    "setweight(to_tsvector('english'::regconfig, definition), 'C')"
)


def _now() -> sa.Column[Any]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    op.add_column("objects", sa.Column("layer", sa.String(32)), schema=S)
    op.create_index("ix_objects_layer", "objects", ["layer"], schema=S)

    op.create_table(
        "business_terms",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("abbreviation", sa.Text),
        sa.Column("synonyms", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("examples", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("category", sa.Text),
        sa.Column("domain", sa.Text),
        sa.Column("owner", sa.Text),
        sa.Column("steward", sa.Text),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("created_by", sa.String(200), nullable=False, server_default="system"),
        _now(),
        sa.Column("updated_by", sa.String(200), nullable=False, server_default="system"),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("search_vector", pg.TSVECTOR, sa.Computed(TERM_VECTOR, persisted=True)),
        sa.CheckConstraint(
            "status IN ('draft', 'under_review', 'approved', 'deprecated')",
            name="ck_business_terms_status",
        ),
        schema=S,
    )
    op.execute("CREATE UNIQUE INDEX uq_business_terms_name ON catalog.business_terms (lower(name))")
    op.create_index(
        "ix_business_terms_search", "business_terms", ["search_vector"], schema=S,
        postgresql_using="gin",
    )
    op.create_index("ix_business_terms_status", "business_terms", ["status"], schema=S)

    op.create_table(
        "business_term_relations",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "term_id",
            sa.BigInteger,
            sa.ForeignKey(f"{S}.business_terms.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("relation", sa.String(16), nullable=False),
        sa.Column(
            "related_id",
            sa.BigInteger,
            sa.ForeignKey(f"{S}.business_terms.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.UniqueConstraint("term_id", "relation", "related_id", name="uq_business_term_relations"),
        sa.CheckConstraint(
            "relation IN ('is_a', 'has_a', 'related', 'replaces')",
            name="ck_business_term_relations_relation",
        ),
        schema=S,
    )
    op.create_index(
        "ix_business_term_relations_related", "business_term_relations", ["related_id"], schema=S
    )

    op.create_table(
        "business_term_history",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "term_id",
            sa.BigInteger,
            sa.ForeignKey(f"{S}.business_terms.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=S,
    )
    op.create_index(
        "ix_business_term_history_term", "business_term_history", ["term_id", "id"], schema=S
    )

    op.create_table(
        "term_links",
        sa.Column("id", sa.BigInteger, primary_key=True),
        # No cascade: deleting a linked term is refused unless forced (the links go first).
        sa.Column(
            "term_id", sa.BigInteger, sa.ForeignKey(f"{S}.business_terms.id"), nullable=False
        ),
        sa.Column(
            "object_id",
            sa.BigInteger,
            sa.ForeignKey(f"{S}.objects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        # By name, not by column row: scans replace column rows, links stay.
        sa.Column("column_name", sa.Text, nullable=False, server_default=""),
        sa.Column("link_type", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False, server_default="system"),
        _now(),
        sa.UniqueConstraint("object_id", "column_name", "term_id", name="uq_term_links"),
        sa.CheckConstraint(
            "link_type IN ('defines', 'uses', 'derived_from', 'related')",
            name="ck_term_links_type",
        ),
        schema=S,
    )
    op.create_index("ix_term_links_term", "term_links", ["term_id"], schema=S)

    op.create_table(
        "value_domains",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("domain_type", sa.String(16), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("allowed_values", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("min_value", sa.Float),
        sa.Column("max_value", sa.Float),
        sa.Column("pattern", sa.Text),
        sa.Column("pattern_description", sa.Text),
        sa.Column("reference_object_urn", sa.Text),
        sa.Column("reference_column", sa.Text),
        sa.Column("extensible", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("owner", sa.Text),
        sa.Column("created_by", sa.String(200), nullable=False, server_default="system"),
        _now(),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint(
            "domain_type IN ('enum', 'range', 'pattern', 'reference')",
            name="ck_value_domains_type",
        ),
        schema=S,
    )
    op.execute("CREATE UNIQUE INDEX uq_value_domains_name ON catalog.value_domains (lower(name))")

    op.create_table(
        "column_semantics",
        sa.Column(
            "object_id",
            sa.BigInteger,
            sa.ForeignKey(f"{S}.objects.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        # By name, not by column row: scans replace column rows, the meaning stays.
        sa.Column("column_name", sa.Text, primary_key=True),
        sa.Column("business_definition", sa.Text),
        sa.Column("semantic_type", sa.String(64)),
        sa.Column("unit_of_measure", sa.String(64)),
        sa.Column("value_domain_id", sa.BigInteger, sa.ForeignKey(f"{S}.value_domains.id")),
        sa.Column("min_value", sa.Float),
        sa.Column("max_value", sa.Float),
        sa.Column("allowed_values", pg.JSONB),  # NULL = no claim
        sa.Column("format_pattern", sa.Text),
        sa.Column("examples", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("updated_by", sa.String(200), nullable=False, server_default="system"),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=S,
    )
    op.create_index(
        "ix_column_semantics_domain", "column_semantics", ["value_domain_id"], schema=S
    )


def downgrade() -> None:
    op.drop_table("column_semantics", schema=S)
    op.drop_table("value_domains", schema=S)
    op.drop_table("term_links", schema=S)
    op.drop_table("business_term_history", schema=S)
    op.drop_table("business_term_relations", schema=S)
    op.drop_table("business_terms", schema=S)
    op.drop_index("ix_objects_layer", "objects", schema=S)
    op.drop_column("objects", "layer", schema=S)
