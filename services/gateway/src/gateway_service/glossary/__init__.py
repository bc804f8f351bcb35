"""The business glossary: terms, their approval workflow, import/export, and term links from
capsules and columns (catalog service, SemanticsService)."""
