"""Table of metadata completeness (migration 0008): one row of facts and score per capsule (the
completeness consumer records its events in `processed_events`, tables.py)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from catalog_service.db.tables import metadata

capsule_completeness = Table(
    "capsule_completeness",
    metadata,
    Column("object_id", BigInteger, ForeignKey("objects.id", ondelete="CASCADE"), primary_key=True),
    Column("object_urn", Text, nullable=False, unique=True),
    # The catalog's own facts, recomputed from its tables when one of its events says so.
    Column("has_description", Boolean, nullable=False, server_default="false"),
    Column("columns", Integer, nullable=False, server_default="0"),
    Column("columns_defined", Integer, nullable=False, server_default="0"),
    Column("term_links", Integer, nullable=False, server_default="0"),
    # Facts of other services, as sets of keys their events add and remove.
    Column("owners", JSONB, nullable=False, server_default="[]"),
    Column("classified", JSONB, nullable=False, server_default="[]"),
    Column("policies", JSONB, nullable=False, server_default="[]"),
    Column("rules", JSONB, nullable=False, server_default="[]"),
    Column("domain", Text),
    Column("score", Float, nullable=False, server_default="0"),
    Column("missing", JSONB, nullable=False, server_default="[]"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index(
    "ix_capsule_completeness_score", capsule_completeness.c.score, capsule_completeness.c.object_id
)
