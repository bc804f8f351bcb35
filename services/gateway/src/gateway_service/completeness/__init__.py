"""Metadata completeness of capsules (catalog service, kept current by events)."""
