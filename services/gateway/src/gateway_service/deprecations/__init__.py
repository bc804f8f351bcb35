"""Deprecation campaigns on catalog objects (catalog service)."""
