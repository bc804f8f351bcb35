"""Catalog tables, all in the `catalog` schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

from dckit.consumer import processed_events_table
from dckit.outbox import outbox_table

SCHEMA = "catalog"
metadata = MetaData(schema=SCHEMA)

# Everything search looks at, lower-cased: name, ref, descriptions, column names, tags.
SEARCH_TEXT = (
    "lower(name || ' ' || ref || ' ' || coalesce(description, '') || ' ' || "
    "coalesce(source_metadata->>'comment', '') || ' ' || column_names || ' ' || tags::text)"
)
# Name weighs most (A), then column names and tags (B), then descriptions (C).
SEARCH_VECTOR = (
    "setweight(to_tsvector('simple', name), 'A') || "
    "setweight(to_tsvector('simple', column_names || ' ' || tags::text), 'B') || "
    "setweight(to_tsvector('simple', coalesce(description, '') || ' ' || "
    "coalesce(source_metadata->>'comment', '')), 'C')"
)


sources = Table(
    "sources",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(63), nullable=False, unique=True),
    Column("source_type", String(32), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("connection_encrypted", LargeBinary, nullable=False),
    Column("connection_keys", JSONB, nullable=False, server_default="[]"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

scan_runs = Table(
    "scan_runs",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("source_id", BigInteger, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),  # running | succeeded | failed
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
    Column("duration_ms", BigInteger),
    Column("objects_found", Integer, nullable=False, server_default="0"),
    Column("objects_created", Integer, nullable=False, server_default="0"),
    Column("objects_updated", Integer, nullable=False, server_default="0"),
    Column("objects_deleted", Integer, nullable=False, server_default="0"),
    Column("columns_found", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    Column("triggered_by", String(200), nullable=False, server_default="system"),
    # Lease of a running scan: the process running it (`worker`) renews `heartbeat_at`; any
    # replica fails runs whose lease went stale (their process died).
    Column("worker", String(100)),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Progress of a running scan (objects written of objects found) and cancellation.
    Column("objects_total", Integer, nullable=False, server_default="0"),
    Column("objects_done", Integer, nullable=False, server_default="0"),
    Column("cancel_requested", Boolean, nullable=False, server_default="false"),
)
Index("ix_scan_runs_source_started", scan_runs.c.source_id, scan_runs.c.started_at.desc())
# At most one running scan per source, enforced by the database, not by hope.
Index(
    "ux_scan_runs_one_running",
    scan_runs.c.source_id,
    unique=True,
    postgresql_where=scan_runs.c.status == "running",
)

objects = Table(
    "objects",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("source_id", BigInteger, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("schema_name", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("ref", Text, nullable=False),
    Column("urn", Text, nullable=False, unique=True),
    Column("source_metadata", JSONB, nullable=False, server_default="{}"),
    Column("description", Text),  # user-written; the source comment lives in source_metadata
    Column("tags", JSONB, nullable=False, server_default="[]"),
    Column("content_hash", String(64), nullable=False),
    Column("column_count", Integer, nullable=False, server_default="0"),
    Column("deleted", Boolean, nullable=False, server_default="false"),
    Column("deleted_at", DateTime(timezone=True)),
    Column("first_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Structure (part of content_hash) and statistics (not: an ANALYZE is not a change).
    Column("schema_hash", String(64)),
    Column("partition_strategy", String(16)),
    Column("partition_key", JSONB),
    Column("partition_expression", Text),
    Column("storage_format", String(32)),
    Column("size_bytes", BigInteger),
    Column("row_estimate", BigInteger),
    Column("last_analyzed_at", DateTime(timezone=True)),
    Column("column_names", Text, nullable=False, server_default=""),
    Column("layer", String(32)),  # medallion layer, set by people (migration 0006)
    # Search documents, maintained by PostgreSQL (see migration 0003 for the expressions).
    Column("search_text", Text, Computed(SEARCH_TEXT, persisted=True)),
    Column("search_vector", TSVECTOR, Computed(SEARCH_VECTOR, persisted=True)),
    # pg_trgm-style name trigrams (migration 0005): indexed typo matching without pg_trgm.
    Column("name_trigrams", ARRAY(Text), Computed("catalog.trigrams(name)", persisted=True)),
    UniqueConstraint("source_id", "schema_name", "name", name="uq_objects_source_schema_name"),
)
Index("ix_objects_ref", objects.c.ref)
Index("ix_objects_lower_name", func.lower(objects.c.name))
Index("ix_objects_search_vector", objects.c.search_vector, postgresql_using="gin")
Index("ix_objects_name_trigrams", objects.c.name_trigrams, postgresql_using="gin")

columns = Table(
    "columns",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("data_type", Text, nullable=False),
    Column("nullable", Boolean, nullable=False),
    Column("default_expression", Text),
    Column("comment", Text),
    UniqueConstraint("object_id", "name", name="uq_columns_object_name"),
)
Index("ix_columns_object_ordinal", columns.c.object_id, columns.c.ordinal)

constraints = Table(
    "constraints",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), nullable=False),
    Column("origin", String(16), nullable=False),  # scanned | declared
    Column("constraint_type", String(16), nullable=False),
    Column("name", Text),
    Column("columns", JSONB, nullable=False, server_default="[]"),  # ordered column names
    Column("referenced_object_urn", Text),
    Column("referenced_column_urns", JSONB, nullable=False, server_default="[]"),
    Column("on_delete", String(16)),
    Column("on_update", String(16)),
    Column("check_expression", Text),
    Column("default_expression", Text),
    Column("deferrable", Boolean, nullable=False, server_default="false"),
    Column("enforced", Boolean, nullable=False, server_default="true"),
    Column("created_by", String(200), nullable=False, server_default="system"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(
        "constraint_type IN ('primary_key', 'foreign_key', 'unique', 'check', 'not_null', "
        "'default')",
        name="ck_constraints_type",
    ),
)
Index("ix_constraints_object", constraints.c.object_id)
Index(
    "ix_constraints_referenced",
    constraints.c.referenced_object_urn,
    postgresql_where=constraints.c.referenced_object_urn.isnot(None),
)

indexes = Table(
    "indexes",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("index_type", String(16), nullable=False),
    Column("is_unique", Boolean, nullable=False),
    Column("is_primary", Boolean, nullable=False),
    Column("columns", JSONB, nullable=False),
    Column("expressions", JSONB, nullable=False, server_default="[]"),
    Column("predicate", Text),
    Column("definition", Text),
)
Index("ix_indexes_object", indexes.c.object_id)

object_versions = Table(
    "object_versions",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), nullable=False),
    Column("version_number", Integer, nullable=False),
    Column("version", String(32), nullable=False),  # semver-like: major = breaking change
    Column("schema_hash", String(64), nullable=False),
    Column("schema_snapshot", JSONB, nullable=False),
    Column("change_type", String(16), nullable=False),  # created | schema_change
    Column("changes", JSONB, nullable=False, server_default="[]"),
    Column("change_summary", Text, nullable=False, server_default=""),
    Column("breaking", Boolean, nullable=False, server_default="false"),
    Column("scan_id", BigInteger),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("object_id", "version_number", name="uq_object_versions_number"),
)

lineage_edges = Table(
    "lineage_edges",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("upstream_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), nullable=False),
    Column(
        "downstream_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), nullable=False
    ),
    Column("edge_type", String(16), nullable=False),  # flows_to | derived_from | references
    Column("upstream_column", Text, nullable=False, server_default=""),  # "" = table level
    Column("downstream_column", Text, nullable=False, server_default=""),
    Column("origin", String(16), nullable=False),  # view | foreign_key | declared
    Column("confidence", Float, nullable=False, server_default="1"),
    Column("created_by", String(200), nullable=False, server_default="system"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint(
        "upstream_id",
        "downstream_id",
        "edge_type",
        "upstream_column",
        "downstream_column",
        "origin",
        name="uq_lineage_edges",
    ),
)
Index("ix_lineage_edges_downstream", lineage_edges.c.downstream_id)

# One row per view: how its SQL parsed (parse failures are kept, never dropped).
view_parses = Table(
    "view_parses",
    metadata,
    Column("object_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), primary_key=True),
    Column("confidence", Float, nullable=False),
    Column("error", Text),
    Column("unresolved", JSONB, nullable=False, server_default="[]"),
    Column("parsed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

transformation_code = Table(
    "transformation_code",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), nullable=False),
    Column("origin", String(16), nullable=False),  # scanned | declared
    Column("language", String(32), nullable=False),
    Column("code_text", Text, nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("file_path", Text),
    Column("git_repository", Text),
    Column("git_commit_sha", String(40)),
    Column("git_branch", Text),
    Column("created_by", String(200), nullable=False, server_default="system"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_transformation_code_object", transformation_code.c.object_id, transformation_code.c.id)

# Deprecation campaigns (migration 0004): at most one open (withdrawn_at IS NULL) per object.
deprecations = Table(
    "deprecations",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), nullable=False),
    Column("deadline", Date, nullable=False),
    Column("replacement_urn", Text),
    Column("replacement_ref", Text),
    Column("message", Text, nullable=False, server_default=""),
    Column("created_by", String(200), nullable=False, server_default="system"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("withdrawn_by", String(200)),
    Column("notified_days", Integer),  # smallest threshold whose notice was sent
    Column("notified_at", DateTime(timezone=True)),
)
Index(
    "uq_deprecations_open_object",
    deprecations.c.object_id,
    unique=True,
    postgresql_where=deprecations.c.withdrawn_at.is_(None),
)
Index(
    "ix_deprecations_open_deadline",
    deprecations.c.deadline,
    postgresql_where=deprecations.c.withdrawn_at.is_(None),
)
Index("ix_deprecations_object", deprecations.c.object_id, deprecations.c.id)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
