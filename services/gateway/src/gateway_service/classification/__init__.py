"""Classification of objects and columns, auto-classification rules (governance service)."""
