"""structure: constraints, indexes, partitioning, statistics, schema versions,
lineage, transformation code, ranked search, scan progress

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "catalog"

SEARCH_TEXT = (
    "lower(name || ' ' || ref || ' ' || coalesce(description, '') || ' ' || "
    "coalesce(source_metadata->>'comment', '') || ' ' || column_names || ' ' || tags::text)"
)
SEARCH_VECTOR = (
    "setweight(to_tsvector('simple', name), 'A') || "
    "setweight(to_tsvector('simple', column_names || ' ' || tags::text), 'B') || "
    "setweight(to_tsvector('simple', coalesce(description, '') || ' ' || "
    "coalesce(source_metadata->>'comment', '')), 'C')"
)

# Trigram similarity for typo tolerance. pg_trgm (contrib) when the server has it, with GIN
# indexes; otherwise (e.g. the embedded pgserver build, which ships no contrib) the same
# measure in plain SQL — correct, unindexed. Search calls catalog.name_similarity either way.
TRGM = """
DO $do$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'pg_trgm available but not creatable: search falls back to plain SQL';
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    EXECUTE $f$CREATE FUNCTION catalog.name_similarity(a text, b text) RETURNS real
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT public.similarity(a, b)'$f$;
    EXECUTE 'CREATE INDEX ix_objects_name_trgm ON catalog.objects '
            'USING gin (lower(name) public.gin_trgm_ops)';
    EXECUTE 'CREATE INDEX ix_objects_search_text_trgm ON catalog.objects '
            'USING gin (search_text public.gin_trgm_ops)';
  ELSE
    EXECUTE $f$CREATE FUNCTION catalog.trigrams(t text) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $b$
        SELECT coalesce(array_agg(DISTINCT substr(w, i, 3)), '{}')
        FROM (SELECT '  ' || word || ' ' AS w
              FROM regexp_split_to_table(lower(t), '[^[:alnum:]]+') AS word
              WHERE word <> '') AS words,
             generate_series(1, length(w) - 2) AS i
      $b$$f$;
    EXECUTE $f$CREATE FUNCTION catalog.name_similarity(a text, b text) RETURNS real
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $b$
        SELECT CASE WHEN n = 0 THEN 0::real ELSE (common::real / n) END
        FROM (SELECT cardinality(x) + cardinality(y)
                     - (SELECT count(*) FROM (SELECT unnest(x) INTERSECT SELECT unnest(y)) s)
                     AS n,
                     (SELECT count(*) FROM (SELECT unnest(x) INTERSECT SELECT unnest(y)) s)
                     AS common
              FROM (SELECT catalog.trigrams(a) AS x, catalog.trigrams(b) AS y) t) u
      $b$$f$;
  END IF;
END
$do$;
"""


def upgrade() -> None:
    for name, type_ in (
        ("schema_hash", sa.String(64)),
        ("partition_strategy", sa.String(16)),
        ("partition_key", pg.JSONB()),
        ("partition_expression", sa.Text()),
        ("storage_format", sa.String(32)),
        ("size_bytes", sa.BigInteger()),
        ("row_estimate", sa.BigInteger()),
        ("last_analyzed_at", sa.DateTime(timezone=True)),
    ):
        op.add_column("objects", sa.Column(name, type_), schema=S)
    op.add_column(
        "objects",
        sa.Column("column_names", sa.Text(), nullable=False, server_default=""),
        schema=S,
    )
    op.add_column(
        "objects",
        sa.Column("search_text", sa.Text(), sa.Computed(SEARCH_TEXT, persisted=True)),
        schema=S,
    )
    op.add_column(
        "objects",
        sa.Column("search_vector", pg.TSVECTOR(), sa.Computed(SEARCH_VECTOR, persisted=True)),
        schema=S,
    )
    op.create_index(
        "ix_objects_search_vector", "objects", ["search_vector"], schema=S, postgresql_using="gin"
    )
    # Column names of existing objects, so search finds them before their next scan.
    op.execute(
        "UPDATE catalog.objects o SET column_names = coalesce("
        "(SELECT string_agg(c.name, ' ' ORDER BY c.ordinal) FROM catalog.columns c "
        "WHERE c.object_id = o.id), '')"
    )
    op.execute(TRGM)

    for name, default in (("objects_total", "0"), ("objects_done", "0")):
        op.add_column(
            "scan_runs",
            sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text(default)),
            schema=S,
        )
    op.add_column(
        "scan_runs",
        sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema=S,
    )

    def object_fk() -> sa.Column[int]:
        return sa.Column(
            "object_id",
            sa.BigInteger(),
            sa.ForeignKey(f"{S}.objects.id", ondelete="CASCADE"),
            nullable=False,
        )

    op.create_table(
        "constraints",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        object_fk(),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("constraint_type", sa.String(16), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("columns", pg.JSONB(), nullable=False, server_default="[]"),
        sa.Column("referenced_object_urn", sa.Text()),
        sa.Column("referenced_column_urns", pg.JSONB(), nullable=False, server_default="[]"),
        sa.Column("on_delete", sa.String(16)),
        sa.Column("on_update", sa.String(16)),
        sa.Column("check_expression", sa.Text()),
        sa.Column("default_expression", sa.Text()),
        sa.Column("deferrable", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("enforced", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_by", sa.String(200), nullable=False, server_default="system"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint(
            "constraint_type IN ('primary_key', 'foreign_key', 'unique', 'check', 'not_null', "
            "'default')",
            name="ck_constraints_type",
        ),
        schema=S,
    )
    op.create_index("ix_constraints_object", "constraints", ["object_id"], schema=S)
    op.create_index(
        "ix_constraints_referenced",
        "constraints",
        ["referenced_object_urn"],
        schema=S,
        postgresql_where=sa.text("referenced_object_urn IS NOT NULL"),
    )
    op.create_table(
        "indexes",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        object_fk(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("index_type", sa.String(16), nullable=False),
        sa.Column("is_unique", sa.Boolean(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("columns", pg.JSONB(), nullable=False),
        sa.Column("expressions", pg.JSONB(), nullable=False, server_default="[]"),
        sa.Column("predicate", sa.Text()),
        sa.Column("definition", sa.Text()),
        schema=S,
    )
    op.create_index("ix_indexes_object", "indexes", ["object_id"], schema=S)
    op.create_table(
        "object_versions",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        object_fk(),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("schema_hash", sa.String(64), nullable=False),
        sa.Column("schema_snapshot", pg.JSONB(), nullable=False),
        sa.Column("change_type", sa.String(16), nullable=False),
        sa.Column("changes", pg.JSONB(), nullable=False, server_default="[]"),
        sa.Column("change_summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("breaking", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("scan_id", sa.BigInteger()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint("object_id", "version_number", name="uq_object_versions_number"),
        schema=S,
    )
    op.create_table(
        "lineage_edges",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "upstream_id",
            sa.BigInteger(),
            sa.ForeignKey(f"{S}.objects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "downstream_id",
            sa.BigInteger(),
            sa.ForeignKey(f"{S}.objects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("edge_type", sa.String(16), nullable=False),
        sa.Column("upstream_column", sa.Text(), nullable=False, server_default=""),
        sa.Column("downstream_column", sa.Text(), nullable=False, server_default=""),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False, server_default="1"),
        sa.Column("created_by", sa.String(200), nullable=False, server_default="system"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint(
            "upstream_id",
            "downstream_id",
            "edge_type",
            "upstream_column",
            "downstream_column",
            "origin",
            name="uq_lineage_edges",
        ),
        schema=S,
    )
    op.create_index("ix_lineage_edges_downstream", "lineage_edges", ["downstream_id"], schema=S)
    op.create_table(
        "view_parses",
        sa.Column(
            "object_id",
            sa.BigInteger(),
            sa.ForeignKey(f"{S}.objects.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("unresolved", pg.JSONB(), nullable=False, server_default="[]"),
        sa.Column(
            "parsed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=S,
    )
    op.create_table(
        "transformation_code",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        object_fk(),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("language", sa.String(32), nullable=False),
        sa.Column("code_text", sa.Text(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("file_path", sa.Text()),
        sa.Column("git_repository", sa.Text()),
        sa.Column("git_commit_sha", sa.String(40)),
        sa.Column("git_branch", sa.Text()),
        sa.Column("created_by", sa.String(200), nullable=False, server_default="system"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=S,
    )
    op.create_index(
        "ix_transformation_code_object", "transformation_code", ["object_id", "id"], schema=S
    )


def downgrade() -> None:
    for table in (
        "transformation_code",
        "view_parses",
        "lineage_edges",
        "object_versions",
        "indexes",
        "constraints",
    ):
        op.drop_table(table, schema=S)
    for name in ("cancel_requested", "objects_done", "objects_total"):
        op.drop_column("scan_runs", name, schema=S)
    op.execute("DROP INDEX IF EXISTS catalog.ix_objects_search_text_trgm")
    op.execute("DROP INDEX IF EXISTS catalog.ix_objects_name_trgm")
    op.execute("DROP FUNCTION IF EXISTS catalog.name_similarity(text, text)")
    op.execute("DROP FUNCTION IF EXISTS catalog.trigrams(text)")
    op.drop_index("ix_objects_search_vector", table_name="objects", schema=S)
    for name in (
        "search_vector",
        "search_text",
        "column_names",
        "last_analyzed_at",
        "row_estimate",
        "size_bytes",
        "storage_format",
        "partition_expression",
        "partition_key",
        "partition_strategy",
        "schema_hash",
    ):
        op.drop_column("objects", name, schema=S)
