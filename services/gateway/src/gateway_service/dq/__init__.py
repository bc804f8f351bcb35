"""Data quality metrics: configs, expectations, runs and backfills, results, breaches (quality)."""
