"""Data policies on objects and columns (governance service)."""
