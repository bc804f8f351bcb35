"""metadata completeness: a row of facts and score per capsule, kept by the completeness
consumer

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 08:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

S = "catalog"


def upgrade() -> None:
    op.create_table(
        "capsule_completeness",
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("object_urn", sa.Text(), nullable=False),
        sa.Column("has_description", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("columns", sa.Integer(), server_default="0", nullable=False),
        sa.Column("columns_defined", sa.Integer(), server_default="0", nullable=False),
        sa.Column("term_links", sa.Integer(), server_default="0", nullable=False),
        sa.Column("owners", pg.JSONB(), server_default="[]", nullable=False),
        sa.Column("classified", pg.JSONB(), server_default="[]", nullable=False),
        sa.Column("policies", pg.JSONB(), server_default="[]", nullable=False),
        sa.Column("rules", pg.JSONB(), server_default="[]", nullable=False),
        sa.Column("domain", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), server_default="0", nullable=False),
        sa.Column("missing", pg.JSONB(), server_default="[]", nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(["object_id"], [f"{S}.objects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("object_id"),
        sa.UniqueConstraint("object_urn"),
        schema=S,
    )
    op.create_index(
        "ix_capsule_completeness_score",
        "capsule_completeness",
        ["score", "object_id"],
        schema=S,
    )


def downgrade() -> None:
    op.drop_index("ix_capsule_completeness_score", "capsule_completeness", schema=S)
    op.drop_table("capsule_completeness", schema=S)
