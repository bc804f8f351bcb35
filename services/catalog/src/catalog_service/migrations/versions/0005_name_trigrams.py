"""stored name trigrams with a GIN index: typo-tolerant search without pg_trgm stays indexed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 05:00:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The same rule as pg_trgm's show_trgm. Created here in every
# install (0003 made it only where pg_trgm was missing).
TRIGRAMS = """
CREATE OR REPLACE FUNCTION catalog.trigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $b$
  SELECT coalesce(array_agg(DISTINCT substr(w, i, 3) ORDER BY substr(w, i, 3)), '{}')
  FROM (SELECT '  ' || word || ' ' AS w
        FROM regexp_split_to_table(lower(t), '[^[:alnum:]]+') AS word
        WHERE word <> '') AS words,
       generate_series(1, length(w) - 2) AS i
$b$
"""


def upgrade() -> None:
    op.execute(TRIGRAMS)
    op.execute(
        "ALTER TABLE catalog.objects ADD COLUMN name_trigrams text[] "
        "GENERATED ALWAYS AS (catalog.trigrams(name)) STORED"
    )
    op.execute("CREATE INDEX ix_objects_name_trigrams ON catalog.objects USING gin (name_trigrams)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS catalog.ix_objects_name_trigrams")
    op.execute("ALTER TABLE catalog.objects DROP COLUMN IF EXISTS name_trigrams")
