"""Quality tables, all in the `quality` schema. Rows about a catalog object are keyed by its
URN (`object_urn`: every lookup is by URN); `object_ref` (`source.schema.name`) is kept beside
it for display. A row whose URN is still '' (written before the URN was the key, and not
derivable by migration 0003) is completed through the catalog at start-up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
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

from dckit.outbox import outbox_table

SCHEMA = "quality"
metadata = MetaData(schema=SCHEMA)


def _timestamps() -> list[Column[Any]]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


dq_configs = Table(
    "dq_configs",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_urn", Text, nullable=False, server_default=""),
    Column("object_ref", Text, nullable=False),  # source.schema.name, for display
    Column("source_name", String(100), nullable=False),
    Column("date_column", Text, nullable=False),
    Column("date_format", Text, nullable=False, server_default=""),
    Column("grain", String(16), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    *_timestamps(),
)
# One config per object.
Index(
    "uq_dq_configs_object_urn",
    dq_configs.c.object_urn,
    unique=True,
    postgresql_where=dq_configs.c.object_urn != "",
)

dq_expectations = Table(
    "dq_expectations",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "config_id", BigInteger, ForeignKey("dq_configs.id", ondelete="CASCADE"), nullable=False
    ),
    Column("metric_type", String(32), nullable=False),
    Column("column_name", Text, nullable=False, server_default=""),
    Column("threshold", JSONB, nullable=False),
    Column("priority", String(16), nullable=False, server_default="medium"),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    *_timestamps(),
    UniqueConstraint("config_id", "metric_type", "column_name", name="uq_expectation_metric"),
)

dq_runs = Table(
    "dq_runs",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "config_id", BigInteger, ForeignKey("dq_configs.id", ondelete="CASCADE"), nullable=False
    ),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("buckets_total", Integer, nullable=False, server_default="0"),
    Column("buckets_done", Integer, nullable=False, server_default="0"),
    Column("results_stored", Integer, nullable=False, server_default="0"),
    Column("metric_errors", Integer, nullable=False, server_default="0"),
    Column("breaches_opened", Integer, nullable=False, server_default="0"),
    Column("buckets", JSONB, nullable=False, server_default="[]"),  # per-bucket outcome
    Column("error", Text, nullable=False, server_default=""),
    Column("triggered_by", String(255), nullable=False, server_default="system"),
    Column("worker", String(200), nullable=False, server_default=""),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("cancel_requested", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
)
Index("ix_dq_runs_config", dq_runs.c.config_id, dq_runs.c.id.desc())
Index("ix_dq_runs_running", dq_runs.c.status, postgresql_where=dq_runs.c.status == "running")

dq_results = Table(
    "dq_results",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "expectation_id",
        BigInteger,
        ForeignKey("dq_expectations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("bucket", Date, nullable=False),
    Column("status", String(16), nullable=False),  # ok | breach | error | no_data | learning
    Column("value", Float),
    Column("threshold_low", Float),
    Column("threshold_high", Float),
    Column("threshold", JSONB, nullable=False),  # the spec in force when this was judged
    Column("error", Text, nullable=False, server_default=""),
    Column("run_id", BigInteger, ForeignKey("dq_runs.id", ondelete="SET NULL")),
    Column("executed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("expectation_id", "bucket", name="uq_result_bucket"),
)

dq_breaches = Table(
    "dq_breaches",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "expectation_id",
        BigInteger,
        ForeignKey("dq_expectations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("config_id", BigInteger, nullable=False),
    Column("bucket", Date, nullable=False),
    Column("value", Float, nullable=False),
    Column("threshold_low", Float),
    Column("threshold_high", Float),
    Column("direction", String(8), nullable=False),
    Column("deviation", Float, nullable=False),
    Column("priority", String(16), nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("status_changed_by", String(255), nullable=False, server_default=""),
    Column("status_reason", Text, nullable=False, server_default=""),
    Column("run_id", BigInteger, ForeignKey("dq_runs.id", ondelete="SET NULL")),
    Column("detected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("expectation_id", "bucket", name="uq_breach_bucket"),
)
Index("ix_dq_breaches_status", dq_breaches.c.status, dq_breaches.c.priority)
Index("ix_dq_breaches_config", dq_breaches.c.config_id, dq_breaches.c.bucket)

# ---------------------------------------------------------------- quality rules and checks
quality_rules = Table(
    "quality_rules",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_urn", Text, nullable=False, server_default=""),
    Column("object_ref", Text, nullable=False),
    Column("source_name", String(100), nullable=False),
    Column("column_name", Text, nullable=False, server_default=""),  # '' = capsule-level
    Column("name", String(255), nullable=False),
    Column("rule_type", String(50), nullable=False),
    Column("category", String(50), nullable=False),
    Column("config", JSONB, nullable=False),
    Column("severity", String(16), nullable=False, server_default="warning"),
    Column("blocking", Boolean, nullable=False, server_default="false"),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_by", String(255), nullable=False, server_default=""),
    *_timestamps(),
)
Index(
    "uq_quality_rule_name",
    quality_rules.c.object_urn,
    quality_rules.c.name,
    unique=True,
    postgresql_where=quality_rules.c.object_urn != "",
)
Index("ix_quality_rules_object", quality_rules.c.object_urn, quality_rules.c.column_name)

quality_check_runs = Table(
    "quality_check_runs",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_urn", Text, nullable=False, server_default=""),
    Column("object_ref", Text, nullable=False),
    Column("status", String(16), nullable=False),  # running | passed | warning | failed | error
    Column("passed", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("warnings", Integer, nullable=False, server_default="0"),
    Column("errors", Integer, nullable=False, server_default="0"),
    Column("skipped", Integer, nullable=False, server_default="0"),
    Column("quality_score", Float),
    Column("dimension_scores", JSONB, nullable=False, server_default="{}"),
    Column("triggered_by", String(255), nullable=False, server_default="system"),
    Column("execution_context", JSONB, nullable=False, server_default="{}"),
    Column("error", Text, nullable=False, server_default=""),
    Column("worker", String(200), nullable=False, server_default=""),  # the lease holder
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
    Column("duration_ms", Integer, nullable=False, server_default="0"),
)
Index(
    "ix_quality_check_runs_object", quality_check_runs.c.object_urn, quality_check_runs.c.id.desc()
)

# One row per rule per run. The rule's identity is copied so history survives its deletion.
quality_checks = Table(
    "quality_checks",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "run_id",
        BigInteger,
        ForeignKey("quality_check_runs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("rule_id", BigInteger, ForeignKey("quality_rules.id", ondelete="SET NULL")),
    Column("rule_name", String(255), nullable=False),
    Column("rule_type", String(50), nullable=False),
    Column("category", String(50), nullable=False),
    Column("column_name", Text, nullable=False, server_default=""),
    Column("severity", String(16), nullable=False),
    Column("blocking", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # passed | failed | warning | error | skipped
    Column("measured_value", Float),
    Column("expected_value", Text, nullable=False, server_default=""),
    Column("threshold_value", Float),
    Column("failure_count", BigInteger),
    Column("failure_percentage", Float),
    Column("total_count", BigInteger),
    # Clear values: masked for each viewer when read (governance masking rules).
    Column("sample_failures", JSONB, nullable=False, server_default="[]"),
    Column("error", Text, nullable=False, server_default=""),
    Column("duration_ms", Integer, nullable=False, server_default="0"),
    Column("details", JSONB, nullable=False, server_default="{}"),
    Column("checked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_quality_checks_run", quality_checks.c.run_id)
Index("ix_quality_checks_rule", quality_checks.c.rule_id, quality_checks.c.id.desc())

# ---------------------------------------------------------------- column profiles
profile_runs = Table(
    "profile_runs",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("object_urn", Text, nullable=False, server_default=""),
    Column("object_ref", Text, nullable=False),
    Column("status", String(16), nullable=False),  # running | succeeded | failed
    Column("columns", JSONB, nullable=False, server_default="[]"),  # asked for; [] = all
    Column("sample_rows", BigInteger),
    Column("steps_total", Integer, nullable=False, server_default="0"),
    Column("steps_done", Integer, nullable=False, server_default="0"),
    Column("row_count", BigInteger),
    Column("sampled", Boolean, nullable=False, server_default="false"),
    Column("sample_size", BigInteger),
    Column("sample_percentage", Float),
    Column("error", Text, nullable=False, server_default=""),
    Column("triggered_by", String(255), nullable=False, server_default="system"),
    Column("worker", String(200), nullable=False, server_default=""),  # the lease holder
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
    Column("duration_ms", Integer, nullable=False, server_default="0"),
)
Index("ix_profile_runs_object", profile_runs.c.object_urn, profile_runs.c.id.desc())

# One row per column per profile run (the history).
column_profiles = Table(
    "column_profiles",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "profile_run_id",
        BigInteger,
        ForeignKey("profile_runs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("object_urn", Text, nullable=False, server_default=""),
    Column("object_ref", Text, nullable=False),
    Column("column_name", Text, nullable=False),
    Column("data_type", Text, nullable=False, server_default=""),
    Column("stats", JSONB, nullable=False),  # clear values: masked per viewer when read
    Column("sampled", Boolean, nullable=False, server_default="false"),
    Column("sample_size", BigInteger),
    Column("sample_percentage", Float),
    Column("profiled_by", String(255), nullable=False, server_default=""),
    Column("profiled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index(
    "ix_column_profiles_latest",
    column_profiles.c.object_urn,
    column_profiles.c.column_name,
    column_profiles.c.id.desc(),
)

outbox = outbox_table(metadata)
