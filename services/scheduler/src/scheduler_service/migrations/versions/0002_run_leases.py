"""run leases (worker + heartbeat); runs keep their history when the schedule is deleted

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "scheduler"
FK = "schedule_runs_schedule_id_fkey"  # PostgreSQL's name for 0001's unnamed foreign key


def upgrade() -> None:
    op.add_column(
        "schedule_runs",
        sa.Column("schedule_name", sa.String(length=200), server_default="", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "schedule_runs",
        sa.Column("worker", sa.String(length=200), server_default="", nullable=False),
        schema=SCHEMA,
    )
    # Unfinished runs of processes older than the lease get a fresh one: not renewed, they go
    # stale and are failed like the runs of any dead process.
    op.add_column(
        "schedule_runs",
        sa.Column(
            "heartbeat_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        schema=SCHEMA,
    )
    op.execute(
        "UPDATE scheduler.schedule_runs r SET schedule_name = s.name "
        "FROM scheduler.schedules s WHERE s.id = r.schedule_id"
    )
    op.alter_column("schedule_runs", "schedule_id", nullable=True, schema=SCHEMA)
    op.drop_constraint(FK, "schedule_runs", type_="foreignkey", schema=SCHEMA)
    op.create_foreign_key(
        FK,
        "schedule_runs",
        "schedules",
        ["schedule_id"],
        ["id"],
        source_schema=SCHEMA,
        referent_schema=SCHEMA,
        ondelete="SET NULL",
    )


def downgrade() -> None:
    # Runs of deleted schedules cannot point at a schedule again: they go.
    op.execute("DELETE FROM scheduler.schedule_runs WHERE schedule_id IS NULL")
    op.drop_constraint(FK, "schedule_runs", type_="foreignkey", schema=SCHEMA)
    op.create_foreign_key(
        FK,
        "schedule_runs",
        "schedules",
        ["schedule_id"],
        ["id"],
        source_schema=SCHEMA,
        referent_schema=SCHEMA,
        ondelete="CASCADE",
    )
    op.alter_column("schedule_runs", "schedule_id", nullable=False, schema=SCHEMA)
    op.drop_column("schedule_runs", "heartbeat_at", schema=SCHEMA)
    op.drop_column("schedule_runs", "worker", schema=SCHEMA)
    op.drop_column("schedule_runs", "schedule_name", schema=SCHEMA)
