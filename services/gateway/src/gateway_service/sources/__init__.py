"""Sources and their metadata scans (catalog service)."""
