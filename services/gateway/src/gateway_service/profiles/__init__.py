"""Column profiles and profile runs (quality service)."""
