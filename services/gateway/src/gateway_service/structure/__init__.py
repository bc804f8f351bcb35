"""An object's structure: constraints, indexes, schema versions, transformation code (catalog)."""
