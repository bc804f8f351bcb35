"""masking rules

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 07:15:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('masking_rules',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('object_urn', sa.Text(), nullable=False),
    sa.Column('object_ref', sa.Text(), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('column', sa.Text(), nullable=False),
    sa.Column('column_urn', sa.Text(), server_default='', nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=40), nullable=False),
    sa.Column('config', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('exempt_roles', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('preserve_null', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by', sa.String(length=255), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema='governance'
    )
    op.create_index('ix_masking_rules_object', 'masking_rules', ['object_urn'], unique=False, schema='governance')
    # One enabled rule per column (a partial unique index: disabled rules may pile up).
    op.create_index('uq_masking_rules_enabled_column', 'masking_rules', ['object_ref', 'column'], unique=True, schema='governance', postgresql_where=sa.text('enabled'))


def downgrade() -> None:
    op.drop_index('uq_masking_rules_enabled_column', table_name='masking_rules', schema='governance', postgresql_where=sa.text('enabled'))
    op.drop_index('ix_masking_rules_object', table_name='masking_rules', schema='governance')
    op.drop_table('masking_rules', schema='governance')
