"""Governance tables, all in the `governance` schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
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

SCHEMA = "governance"
metadata = MetaData(schema=SCHEMA)

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", Text, nullable=False, server_default=""),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_login_at", DateTime(timezone=True)),
    # Access and refresh tokens issued before it are refused (a changed password logs out).
    Column("password_changed_at", DateTime(timezone=True)),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),  # SHA-256 of the key; the key is never stored
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)
Index("ix_api_keys_user", api_keys.c.user_id)

# Append-only (a trigger in migration 0001 rejects UPDATE and DELETE).
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),  # AuditRecord.id
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("service", String(50), nullable=False),
    Column("user_id", String(255), nullable=False),  # the actor: username or "system"
    Column("action", String(100), nullable=False),
    Column("entity_type", String(50), nullable=False),
    Column("entity_id", String(255), nullable=False),
    Column("entity_urn", Text, nullable=False, server_default=""),
    Column("changes", JSONB, nullable=False, server_default="{}"),  # {"field": {"old", "new"}}
    Column("context", JSONB, nullable=False, server_default="{}"),  # request_id, ip, user_agent
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_audit_user", audit_events.c.user_id)
Index("ix_audit_entity", audit_events.c.entity_type, audit_events.c.entity_id)
Index("ix_audit_timestamp", audit_events.c.timestamp)
Index("ix_audit_urn", audit_events.c.entity_urn)

# One row per classified object (column_name = "") or column; objects are the catalog's, known
# here only by URN and ref (governance never reads the catalog's tables).
classifications = Table(
    "classifications",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_urn", Text, nullable=False),
    Column("object_ref", Text, nullable=False),
    Column("source_name", String(255), nullable=False),
    Column("column_name", String(255), nullable=False, server_default=""),
    Column("column_urn", Text, nullable=False, server_default=""),
    Column("level", String(16), nullable=False),
    Column("compliance", JSONB, nullable=False, server_default="[]"),
    Column("source", String(16), nullable=False),  # manual | rule
    Column("rule_id", BigInteger, ForeignKey("classification_rules.id", ondelete="SET NULL")),
    Column("rule_name", String(200), nullable=False, server_default=""),
    Column("classified_by", String(255), nullable=False),
    Column("classified_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("object_urn", "column_name", name="uq_classifications_target"),
)
Index("ix_classifications_ref", classifications.c.object_ref)
Index("ix_classifications_source", classifications.c.source_name)

classification_rules = Table(
    "classification_rules",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("column_name_pattern", Text, nullable=False, server_default=""),
    Column("schema_pattern", Text, nullable=False, server_default=""),
    Column("object_name_pattern", Text, nullable=False, server_default=""),
    Column("tags", JSONB, nullable=False, server_default="[]"),
    Column("level", String(16), nullable=False),
    Column("compliance", JSONB, nullable=False, server_default="[]"),
    Column("created_by", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)

# Ownership and domains: objects again known only by URN and ref.
domains = Table(
    "domains",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    # RESTRICT: a domain with children cannot go (the use case says so first, with names).
    Column("parent_id", BigInteger, ForeignKey("domains.id", ondelete="RESTRICT")),
    Column("created_by", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_domains_parent", domains.c.parent_id)

object_owners = Table(
    "object_owners",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_urn", Text, nullable=False),
    Column("object_ref", Text, nullable=False),
    Column("source_name", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),  # username or (lower-case) email
    Column("role", String(16), nullable=False),  # owner | steward | delegate
    Column("assigned_by", String(255), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("object_urn", "user_id", "role", name="uq_object_owners_assignment"),
)
Index("ix_object_owners_user", object_owners.c.user_id)

object_domains = Table(
    "object_domains",
    metadata,
    Column("object_urn", Text, primary_key=True),  # an object is in at most one domain
    Column("object_ref", Text, nullable=False),
    Column("source_name", String(255), nullable=False),
    Column("domain_id", BigInteger, ForeignKey("domains.id", ondelete="RESTRICT"), nullable=False),
    Column("assigned_by", String(255), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_object_domains_domain", object_domains.c.domain_id)

# Data policies (capsule spec 5.2.1) on an object (column == "") or one of its columns. Several
# policies may cover one target; lists are JSON arrays of normalized strings.
data_policies = Table(
    "data_policies",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_urn", Text, nullable=False),
    Column("object_ref", Text, nullable=False),
    Column("source_name", String(255), nullable=False),
    Column("column_name", Text, nullable=False, server_default=""),
    Column("sensitivity", String(16), nullable=False),
    Column("retention_days", Integer, nullable=False, server_default="0"),
    Column("retention_start", String(16), nullable=False, server_default=""),
    Column("deletion_action", String(16), nullable=False, server_default=""),
    Column("legal_hold", Boolean, nullable=False, server_default="false"),
    Column("allowed_regions", JSONB, nullable=False, server_default="[]"),
    Column("restricted_regions", JSONB, nullable=False, server_default="[]"),
    Column("residency", String(100), nullable=False, server_default=""),
    Column("min_role", String(16), nullable=False, server_default=""),
    Column("allowed_roles", JSONB, nullable=False, server_default="[]"),
    Column("denied_roles", JSONB, nullable=False, server_default="[]"),
    Column("purposes", JSONB, nullable=False, server_default="[]"),
    Column("masking_required", Boolean, nullable=False, server_default="false"),
    Column("encryption_required", Boolean, nullable=False, server_default="false"),
    Column("compliance", JSONB, nullable=False, server_default="[]"),
    Column("review_cycle_days", Integer, nullable=False, server_default="0"),
    Column("last_reviewed_on", Date),
    # Derived from the two above, stored so the overdue listing is one indexed query.
    Column("next_review_date", Date),
    Column("created_by", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", String(255), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_data_policies_object", data_policies.c.object_urn)
Index("ix_data_policies_next_review", data_policies.c.next_review_date)

# Masking rules (capsule spec 5.2.2) on one column each; config is the method's settings as
# checked by domain.masking.validate_config. Disabled rules are kept (history, quick re-enable).
masking_rules = Table(
    "masking_rules",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_urn", Text, nullable=False),
    Column("object_ref", Text, nullable=False),
    Column("source_name", String(255), nullable=False),
    Column("column", Text, nullable=False),
    Column("column_urn", Text, nullable=False, server_default=""),
    Column("name", String(200), nullable=False),
    Column("method", String(40), nullable=False),
    Column("config", JSONB, nullable=False, server_default="{}"),
    Column("exempt_roles", JSONB, nullable=False, server_default="[]"),
    Column("preserve_null", Boolean, nullable=False, server_default="true"),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_by", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", String(255), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_masking_rules_object", masking_rules.c.object_urn)
# One enabled rule per column: two would leave which one masks undefined.
ONE_ENABLED_RULE = "uq_masking_rules_enabled_column"
Index(
    ONE_ENABLED_RULE,
    masking_rules.c.object_ref,
    masking_rules.c.column,
    unique=True,
    postgresql_where=masking_rules.c.enabled,
)
