"""search index: prefix btree on lower(name), a GIN index on the name's words, the name-word
dictionary for typo tolerance (symmetric delete)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:30:00
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Every word (4+ characters, not all digits) of an object name, with each of its one-letter
# deletions: a query word w is within one edit (insert, delete, substitute, swap) of a stored
# word t only if {w} ∪ deletions(w) and {t} ∪ deletions(t) share a variant, so typo lookup
# is a btree probe with the query's variants (no pg_trgm needed). Rows with variant = token
# are the words themselves: a byte-order ("C") range over them expands a query word to the
# whole name words it starts, so name matching probes exact lexemes, not a GIN prefix scan.
TOKENS = """
CREATE TABLE catalog.search_tokens (
  variant text COLLATE "C" NOT NULL,
  token text COLLATE "C" NOT NULL,
  PRIMARY KEY (variant, token)
)
"""
ADD_TOKENS = """
CREATE FUNCTION catalog.add_search_tokens() RETURNS trigger
LANGUAGE plpgsql AS $f$
BEGIN
  INSERT INTO catalog.search_tokens (variant, token)
  SELECT DISTINCT v.variant, w.token
  FROM (SELECT DISTINCT word AS token
        FROM new_objects, regexp_split_to_table(lower(new_objects.name), '[^[:alnum:]]+') AS word
        WHERE length(word) >= 4 AND word !~ '^[0-9]+$') AS w,
       LATERAL (SELECT w.token AS variant
                UNION ALL
                SELECT substr(w.token, 1, i - 1) || substr(w.token, i + 1)
                FROM generate_series(1, length(w.token)) AS i) AS v
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$f$
"""
# Names never change (a rename is a new object), so inserts are all that add words.
TRIGGER = """
CREATE TRIGGER objects_search_tokens AFTER INSERT ON catalog.objects
REFERENCING NEW TABLE AS new_objects FOR EACH STATEMENT
EXECUTE FUNCTION catalog.add_search_tokens()
"""
BACKFILL = """
INSERT INTO catalog.search_tokens (variant, token)
SELECT DISTINCT v.variant, w.token
FROM (SELECT DISTINCT word AS token
      FROM catalog.objects, regexp_split_to_table(lower(objects.name), '[^[:alnum:]]+') AS word
      WHERE length(word) >= 4 AND word !~ '^[0-9]+$') AS w,
     LATERAL (SELECT w.token AS variant
              UNION ALL
              SELECT substr(w.token, 1, i - 1) || substr(w.token, i + 1)
              FROM generate_series(1, length(w.token)) AS i) AS v
ON CONFLICT DO NOTHING
"""


def upgrade() -> None:
    # Name prefix ("cust" → customers): a btree range scan, whatever the collation.
    op.execute(
        "CREATE INDEX ix_objects_name_prefix ON catalog.objects (lower(name) text_pattern_ops)"
    )
    # The name's words alone, so "name words" matches never scan columns or descriptions.
    op.execute(
        "CREATE INDEX ix_objects_name_words ON catalog.objects "
        "USING gin (to_tsvector('simple', name))"
    )
    op.execute(TOKENS)
    op.execute(ADD_TOKENS)
    op.execute(TRIGGER)
    op.execute(BACKFILL)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS objects_search_tokens ON catalog.objects")
    op.execute("DROP FUNCTION IF EXISTS catalog.add_search_tokens()")
    op.execute("DROP TABLE IF EXISTS catalog.search_tokens")
    op.execute("DROP INDEX IF EXISTS catalog.ix_objects_name_words")
    op.execute("DROP INDEX IF EXISTS catalog.ix_objects_name_prefix")
