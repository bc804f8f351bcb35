"""Owners, stewards and delegates of objects; business domains (governance service)."""
