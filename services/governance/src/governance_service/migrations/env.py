from dckit.migrations import run_env
from governance_service.db.tables import SCHEMA, metadata

run_env(metadata, SCHEMA)
