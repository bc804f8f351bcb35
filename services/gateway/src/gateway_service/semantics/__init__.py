"""What columns mean (business definition, unit, claims) and value domains (catalog service,
SemanticsService)."""
