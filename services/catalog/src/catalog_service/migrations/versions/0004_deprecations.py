"""deprecation campaigns: objects deprecated with a deadline and replacement, and which
deadline notices were sent

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "catalog"


def upgrade() -> None:
    op.create_table(
        "deprecations",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "object_id",
            sa.BigInteger,
            sa.ForeignKey(f"{S}.objects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("replacement_urn", sa.Text),
        sa.Column("replacement_ref", sa.Text),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", sa.String(200), nullable=False, server_default="system"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.Column("withdrawn_by", sa.String(200)),
        # Smallest threshold (days before the deadline) whose notice was sent; NULL = none.
        sa.Column("notified_days", sa.Integer),
        sa.Column("notified_at", sa.DateTime(timezone=True)),
        schema=S,
    )
    # At most one open (not withdrawn) deprecation per object; withdrawn ones are history.
    op.create_index(
        "uq_deprecations_open_object",
        "deprecations",
        ["object_id"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    op.create_index(
        "ix_deprecations_open_deadline",
        "deprecations",
        ["deadline"],
        schema=S,
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    op.create_index("ix_deprecations_object", "deprecations", ["object_id", "id"], schema=S)


def downgrade() -> None:
    op.drop_table("deprecations", schema=S)
