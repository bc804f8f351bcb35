"""Data Compass quality service: DQ configs, metric runs, thresholds, breaches."""
