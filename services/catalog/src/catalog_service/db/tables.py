"""Catalog tables, all in the `catalog` schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
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
from sqlalchemy.dialects.postgresql import JSONB

from dckit.consumer import processed_events_table
from dckit.outbox import outbox_table

SCHEMA = "catalog"
metadata = MetaData(schema=SCHEMA)


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
    UniqueConstraint("source_id", "schema_name", "name", name="uq_objects_source_schema_name"),
)
Index("ix_objects_ref", objects.c.ref)
Index("ix_objects_lower_name", func.lower(objects.c.name))

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

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
