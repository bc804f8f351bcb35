from dckit.migrations import run_env
from scheduler_service.db.tables import SCHEMA, metadata

run_env(metadata, SCHEMA)
