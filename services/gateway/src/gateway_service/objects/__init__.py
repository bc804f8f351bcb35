"""Catalog objects: search, get with columns, edit description and tags (catalog service)."""
