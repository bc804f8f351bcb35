"""Table and column lineage (catalog service)."""
