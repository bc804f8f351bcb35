"""Scheduler tables, all in the `scheduler` schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
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

from dckit.outbox import outbox_table

SCHEMA = "scheduler"
metadata = MetaData(schema=SCHEMA)

schedules = Table(
    "schedules",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("cron", String(200), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("task_type", String(32), nullable=False),
    Column("params", JSONB, nullable=False),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("misfire_grace_seconds", Integer, nullable=False, server_default="300"),
    Column("max_attempts", Integer, nullable=False, server_default="3"),
    Column("next_run_at", DateTime(timezone=True)),  # NULL while disabled
    Column("last_run_at", DateTime(timezone=True)),
    Column("created_by", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
# The claim query of every replica: due, enabled schedules by time.
Index(
    "ix_schedules_due",
    schedules.c.next_run_at,
    postgresql_where=schedules.c.enabled.is_(True),
)

schedule_runs = Table(
    "schedule_runs",
    metadata,
    Column("id", BigInteger, primary_key=True),
    # A deleted schedule keeps its run history: the run loses the link, keeps the name.
    Column("schedule_id", BigInteger, ForeignKey("schedules.id", ondelete="SET NULL")),
    Column("schedule_name", String(200), nullable=False, server_default=""),
    Column("task_type", String(32), nullable=False),
    Column("trigger", String(16), nullable=False),  # cron | manual
    Column("triggered_by", Text, nullable=False, server_default=""),
    Column("scheduled_for", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("error", Text, nullable=False, server_default=""),
    Column("target_id", Text, nullable=False, server_default=""),
    Column("result", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Lease of an unfinished run: the process dispatching it (`worker`) renews `heartbeat_at`;
    # any replica fails runs whose lease went stale (their process died mid-dispatch).
    Column("worker", String(200), nullable=False, server_default=""),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The last guard of "fires once": even two claims of one slot insert one row.
    UniqueConstraint("schedule_id", "scheduled_for", name="uq_schedule_run_slot"),
)
Index("ix_schedule_runs_schedule", schedule_runs.c.schedule_id, schedule_runs.c.id)

outbox = outbox_table(metadata)
