"""Masking rules on columns and the SQL that applies them at a source (governance service)."""
