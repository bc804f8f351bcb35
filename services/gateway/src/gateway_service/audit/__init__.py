"""The audit trail: query and export (governance service)."""
