"""Cron schedules of scans, DQ runs and checks, and their run history (scheduler service)."""
