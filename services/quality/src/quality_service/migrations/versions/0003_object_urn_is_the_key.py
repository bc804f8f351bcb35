"""the object URN is the key of every quality table; check and profile runs are leased

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 10:00:00.000000

Every table that names a catalog object already stored its URN beside its ref, except
column_profiles: its URN comes from its profile run. A row whose URN is still '' gets it from
any other row of the same ref that has one; what is left (no row of that ref ever had a URN)
cannot be derived here without the catalog, so the service completes it at start-up
(application/object_urns.py). Uniqueness and lookups move from the ref to the URN (partial
unique indexes: rows still waiting for their URN do not collide); the ref stays, for display.
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

S = 'quality'
TABLES = ('dq_configs', 'quality_rules', 'quality_check_runs', 'profile_runs', 'column_profiles')


def upgrade() -> None:
    op.add_column('column_profiles', sa.Column('object_urn', sa.Text(), server_default='', nullable=False), schema=S)
    op.execute(
        "UPDATE quality.column_profiles c SET object_urn = r.object_urn FROM quality.profile_runs r"
        " WHERE c.profile_run_id = r.id AND c.object_urn = '' AND r.object_urn <> ''"
    )
    known = " UNION ALL ".join(
        f"SELECT object_ref, object_urn FROM quality.{t} WHERE object_urn <> ''" for t in TABLES
    )
    for table in TABLES:
        op.execute(
            f"UPDATE quality.{table} t SET object_urn = k.object_urn"
            f" FROM (SELECT DISTINCT ON (object_ref) object_ref, object_urn FROM ({known}) a"
            f" ORDER BY object_ref) k WHERE t.object_urn = '' AND t.object_ref = k.object_ref"
        )

    op.drop_constraint('dq_configs_object_ref_key', 'dq_configs', schema=S, type_='unique')
    op.create_index('uq_dq_configs_object_urn', 'dq_configs', ['object_urn'], unique=True, schema=S, postgresql_where=sa.text("object_urn <> ''"))
    op.drop_constraint('uq_quality_rule_name', 'quality_rules', schema=S, type_='unique')
    op.create_index('uq_quality_rule_name', 'quality_rules', ['object_urn', 'name'], unique=True, schema=S, postgresql_where=sa.text("object_urn <> ''"))
    op.drop_index('ix_quality_rules_object', table_name='quality_rules', schema=S)
    op.create_index('ix_quality_rules_object', 'quality_rules', ['object_urn', 'column_name'], unique=False, schema=S)
    op.drop_index('ix_quality_check_runs_object', table_name='quality_check_runs', schema=S)
    op.create_index('ix_quality_check_runs_object', 'quality_check_runs', ['object_urn', sa.literal_column('id DESC')], unique=False, schema=S)
    op.drop_index('ix_profile_runs_object', table_name='profile_runs', schema=S)
    op.create_index('ix_profile_runs_object', 'profile_runs', ['object_urn', sa.literal_column('id DESC')], unique=False, schema=S)
    op.drop_index('ix_column_profiles_latest', table_name='column_profiles', schema=S)
    op.create_index('ix_column_profiles_latest', 'column_profiles', ['object_urn', 'column_name', sa.literal_column('id DESC')], unique=False, schema=S)

    # Check and profile runs are held by a lease like DQ runs (dckit.leases).
    op.add_column('quality_check_runs', sa.Column('worker', sa.String(length=200), server_default='', nullable=False), schema=S)
    op.add_column('quality_check_runs', sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True), schema=S)
    op.add_column('profile_runs', sa.Column('worker', sa.String(length=200), server_default='', nullable=False), schema=S)


def downgrade() -> None:
    op.drop_column('profile_runs', 'worker', schema=S)
    op.drop_column('quality_check_runs', 'heartbeat_at', schema=S)
    op.drop_column('quality_check_runs', 'worker', schema=S)
    op.drop_index('ix_column_profiles_latest', table_name='column_profiles', schema=S)
    op.create_index('ix_column_profiles_latest', 'column_profiles', ['object_ref', 'column_name', sa.literal_column('id DESC')], unique=False, schema=S)
    op.drop_index('ix_profile_runs_object', table_name='profile_runs', schema=S)
    op.create_index('ix_profile_runs_object', 'profile_runs', ['object_ref', sa.literal_column('id DESC')], unique=False, schema=S)
    op.drop_index('ix_quality_check_runs_object', table_name='quality_check_runs', schema=S)
    op.create_index('ix_quality_check_runs_object', 'quality_check_runs', ['object_ref', sa.literal_column('id DESC')], unique=False, schema=S)
    op.drop_index('ix_quality_rules_object', table_name='quality_rules', schema=S)
    op.create_index('ix_quality_rules_object', 'quality_rules', ['object_ref', 'column_name'], unique=False, schema=S)
    op.drop_index('uq_quality_rule_name', table_name='quality_rules', schema=S)
    op.create_unique_constraint('uq_quality_rule_name', 'quality_rules', ['object_ref', 'name'], schema=S)
    op.drop_index('uq_dq_configs_object_urn', table_name='dq_configs', schema=S)
    op.create_unique_constraint('dq_configs_object_ref_key', 'dq_configs', ['object_ref'], schema=S)
    op.drop_column('column_profiles', 'object_urn', schema=S)
