from catalog_service.db.tables import SCHEMA, metadata
from dckit.migrations import run_env

run_env(metadata, SCHEMA)
