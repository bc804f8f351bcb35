"""scan leases: worker + heartbeat on scan_runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scan_runs", sa.Column("worker", sa.String(length=100)), schema="catalog")
    op.add_column(
        "scan_runs",
        sa.Column(
            "heartbeat_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        schema="catalog",
    )


def downgrade() -> None:
    op.drop_column("scan_runs", "heartbeat_at", schema="catalog")
    op.drop_column("scan_runs", "worker", schema="catalog")
